"""The workload controllers of the fake cluster: Deployments (through ReplicaSets), ReplicaSets
and StatefulSets, reconciled synchronously whenever something changes.

A mixin of ClusterState: it uses the state's lock, pods and events.
"""

from __future__ import annotations

import copy
from typing import Optional

from .model import (
    Container,
    ContainerPort,
    NotFound,
    OwnerRef,
    Pod,
    Workload,
    random_suffix,
)
from .selectors import label_selector_matches


class WorkloadControllers:
    def get_workload(self, kind: str, namespace: str, name: str) -> Workload:
        with self.lock:
            workload = self.workloads.get((kind, namespace, name))
            if workload is None:
                raise NotFound(kind.lower(), namespace, name)
            return workload

    def list_workloads(
        self, kind: str, namespace: Optional[str], selector: Optional[str] = None
    ) -> list[Workload]:
        with self.lock:
            return [
                w
                for key, w in sorted(self.workloads.items())
                if key[0] == kind
                and (namespace is None or key[1] == namespace)
                and label_selector_matches(selector, w.labels)
            ]

    def _add_workload(self, workload: Workload) -> Workload:
        key = (workload.kind, workload.namespace, workload.name)
        if key in self.workloads:
            raise ValueError(
                f"{workload.kind} {workload.name!r} already exists in namespace "
                f"{workload.namespace!r}"
            )
        self._touch(workload)
        self.workloads[key] = workload
        self._emit("ADDED", workload.kind.lower() + "s", workload)
        return workload

    def _containers(self, name: str, ports: list[ContainerPort], image: Optional[str]) -> list:
        return [Container(name=name, image=image or self.image, ports=list(ports))]

    def _add_top_level(
        self,
        kind: str,
        name: str,
        namespace: str,
        replicas: int,
        ports: list[ContainerPort],
        labels: Optional[dict[str, str]],
        image: Optional[str],
        current: str = "",
    ) -> Workload:
        """A workload the test created itself (not owned by another), selecting its own labels.
        The caller holds the lock."""
        labels = dict(labels or {"app": name})
        self.require_namespace(namespace)
        workload = Workload(
            kind=kind,
            name=name,
            namespace=namespace,
            labels=dict(labels),
            selector=dict(labels),
            replicas=replicas,
            containers=self._containers(name, ports, image),
            template_labels=dict(labels),
            current=current,
        )
        self._add_workload(workload)
        return workload

    def add_deployment(
        self,
        name: str,
        namespace: str,
        replicas: int,
        ports: list[ContainerPort],
        labels: Optional[dict[str, str]] = None,
        image: Optional[str] = None,
    ) -> Workload:
        with self.lock:
            deployment = self._add_top_level("Deployment", name, namespace, replicas, ports,
                                             labels, image)
            self._new_replicaset(deployment)
            return deployment

    def _new_replicaset(self, deployment: Workload, new_pods_ready: bool = True) -> Workload:
        template_hash = random_suffix(10)
        labels = {**deployment.template_labels, "pod-template-hash": template_hash}
        replicaset = Workload(
            kind="ReplicaSet",
            name=f"{deployment.name}-{template_hash}",
            namespace=deployment.namespace,
            labels=dict(labels),
            selector={**deployment.selector, "pod-template-hash": template_hash},
            replicas=deployment.replicas,
            containers=copy.deepcopy(deployment.containers),
            template_labels=labels,
            owner=OwnerRef("Deployment", "apps/v1", deployment.name, deployment.uid),
            revision=deployment.revision,
            current=template_hash,
        )
        self._add_workload(replicaset)
        deployment.current = replicaset.name
        self.reconcile(replicaset, new_pods_ready=new_pods_ready)
        return replicaset

    def add_replicaset(
        self,
        name: str,
        namespace: str,
        replicas: int,
        ports: list[ContainerPort],
        labels: Optional[dict[str, str]] = None,
        image: Optional[str] = None,
    ) -> Workload:
        with self.lock:
            replicaset = self._add_top_level("ReplicaSet", name, namespace, replicas, ports,
                                             labels, image)
            self.reconcile(replicaset)
            return replicaset

    def add_statefulset(
        self,
        name: str,
        namespace: str,
        replicas: int,
        ports: list[ContainerPort],
        labels: Optional[dict[str, str]] = None,
        service_name: Optional[str] = None,
        image: Optional[str] = None,
    ) -> Workload:
        with self.lock:
            statefulset = self._add_top_level("StatefulSet", name, namespace, replicas, ports,
                                              labels, image, current=service_name or name)
            self.reconcile(statefulset)
            return statefulset

    def reconcile(self, workload: Workload, new_pods_ready: bool = True, **terminate) -> None:
        """Creates or deletes pods until the workload has `replicas` live ones (created Ready
        unless not new_pods_ready). `terminate` (grace_seconds, ready_while_terminating) goes to
        delete_pod for the pods it deletes."""
        with self.lock:
            if workload.kind == "Deployment":
                for replicaset in self.list_workloads("ReplicaSet", workload.namespace):
                    if replicaset.owner is None or replicaset.owner.uid != workload.uid:
                        continue
                    wanted = workload.replicas if replicaset.name == workload.current else 0
                    if replicaset.replicas != wanted:
                        replicaset.replicas = wanted
                        self._touch(replicaset)
                    self.reconcile(replicaset, **terminate)
                return
            owner = OwnerRef(workload.kind, "apps/v1", workload.name, workload.uid)
            pods = self.pods_of(workload)
            if workload.kind == "StatefulSet":
                self._reconcile_statefulset(workload, owner, pods)
                return
            live = [p for p in pods if not p.terminating]
            for _ in range(workload.replicas - len(live)):
                name = f"{workload.name}-{random_suffix(5)}"
                self.create_pod(
                    workload.namespace, name, workload.template_labels, workload.containers, owner,
                    ready=new_pods_ready,
                )
            if len(live) > workload.replicas:
                # The ReplicaSet controller deletes the newest pods first.
                doomed = sorted(live, key=lambda p: (p.created, p.name), reverse=True)
                for pod in doomed[: len(live) - workload.replicas]:
                    self.delete_pod(pod.namespace, pod.name, **terminate)

    def _reconcile_statefulset(self, workload: Workload, owner: OwnerRef, pods: list[Pod]) -> None:
        by_name = {p.name: p for p in pods}
        revision = f"{workload.name}-{workload.uid[:10]}"
        for ordinal in range(workload.replicas):
            name = f"{workload.name}-{ordinal}"
            if name in by_name:
                continue
            labels = {
                **workload.template_labels,
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": revision,
                "statefulset.kubernetes.io/pod-name": name,
            }
            self.create_pod(workload.namespace, name, labels, workload.containers, owner)
        for pod in pods:
            ordinal = pod.name.rsplit("-", 1)[-1]
            if ordinal.isdigit() and int(ordinal) >= workload.replicas and not pod.terminating:
                self.delete_pod(pod.namespace, pod.name)

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Workload:
        with self.lock:
            workload = self.get_workload(kind, namespace, name)
            workload.replicas = replicas
            workload.generation += 1
            self._touch(workload)
            self._emit("MODIFIED", kind.lower() + "s", workload)
            self.reconcile(workload)
            return workload

    def rollout(
        self,
        namespace: str,
        name: str,
        grace_seconds: Optional[float] = None,
        ready_while_terminating: bool = True,
        new_pods_ready: bool = True,
    ) -> Workload:
        """A new ReplicaSet (new pod-template-hash) with all replicas Ready, then the old pods
        deleted with `grace_seconds` (the default grace period if None). The old pods stay Ready
        and serving while they terminate, as real pods usually do, unless not
        ready_while_terminating. not new_pods_ready: the new pods start not Ready (their
        readiness probes have not passed yet, as when maxUnavailable lets the old pods go
        first); set_ready() makes them Ready. Returns the new ReplicaSet."""
        with self.lock:
            deployment = self.get_workload("Deployment", namespace, name)
            deployment.revision += 1
            deployment.generation += 1
            self._touch(deployment)
            replicaset = self._new_replicaset(deployment, new_pods_ready)
            self.reconcile(deployment, grace_seconds=grace_seconds,
                           ready_while_terminating=ready_while_terminating)
            self._emit("MODIFIED", "deployments", deployment)
            return replicaset
