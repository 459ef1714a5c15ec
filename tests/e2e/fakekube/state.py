"""What the fake cluster knows: namespaces, pods and their backends, services, port-forward
sessions, and the history of changes that watches stream.

One re-entrant lock guards everything; watchers wait on a condition of that lock. A deleted pod
stays listed, Terminating and not Ready, for its grace period. The workload controllers that
create and delete pods live in workloads.py (a mixin of ClusterState).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import threading
from typing import Any, Callable, Optional

from . import kubelet, render
from .backend import Backend
from .model import (
    Container,
    NotFound,
    Namespace,
    OwnerRef,
    Pod,
    Service,
    ServicePort,
    Workload,
    now,
)
from .selectors import label_selector_matches
from .workloads import WorkloadControllers

PodKey = tuple[str, str]

_EVENT_HISTORY = 10000


@dataclasses.dataclass
class WatchEvent:
    resource_version: int
    type: str
    resource: str
    namespace: Optional[str]
    name: str
    labels: dict[str, str]
    object: dict[str, Any]


class ClusterState(WorkloadControllers):
    def __init__(
        self,
        runtime: str = "containerd",
        grace_seconds: float = 2.0,
        self_heal: bool = True,
        image: str = "nginx:1.27",
    ) -> None:
        if runtime not in kubelet.RUNTIMES:
            raise ValueError(f"runtime must be one of {kubelet.RUNTIMES}, not {runtime!r}")
        self.runtime = runtime
        self.grace_seconds = grace_seconds
        self.self_heal = self_heal
        self.image = image
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.namespaces: dict[str, Namespace] = {}
        self.pods: dict[PodKey, Pod] = {}
        self.workloads: dict[tuple[str, str, str], Workload] = {}
        self.services: dict[PodKey, Service] = {}
        self.backends: dict[PodKey, dict[int, Backend]] = {}
        self.sessions: dict[PodKey, set] = {}
        self.hang_streams = False
        self.stopped = False
        self._resource_version = 1000
        self._events: list[WatchEvent] = []
        self._timers: set[threading.Timer] = set()
        self._next_pod_ip = 10
        self._next_cluster_ip = 10

    # --- bookkeeping --------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._resource_version

    def _touch(self, obj) -> None:
        self._resource_version += 1
        obj.resource_version = self._resource_version

    def render(self, obj) -> dict[str, Any]:
        with self.lock:
            if isinstance(obj, Pod):
                return render.pod_json(obj)
            if isinstance(obj, Service):
                return render.service_json(obj)
            if isinstance(obj, Namespace):
                return render.namespace_json(obj)
            pods = self.pods_of(obj)
            current = pods
            if obj.kind == "Deployment":
                current_rs = self.workloads.get(("ReplicaSet", obj.namespace, obj.current))
                current = self.pods_of(current_rs) if current_rs else []
            return render.workload_json(obj, pods, current)

    def _emit(self, event_type: str, resource: str, obj) -> None:
        event = WatchEvent(
            resource_version=obj.resource_version,
            type=event_type,
            resource=resource,
            namespace=getattr(obj, "namespace", None),
            name=obj.name,
            labels=dict(getattr(obj, "labels", {}) or {}),
            object=self.render(obj),
        )
        self._events.append(event)
        del self._events[:-_EVENT_HISTORY]
        self._changed.notify_all()

    def _changed_workload(self, workload: Optional[Workload]) -> None:
        """A pod changed: its owners' status did too."""
        while workload is not None:
            self._touch(workload)
            self._emit("MODIFIED", workload.kind.lower() + "s", workload)
            owner = workload.owner
            workload = (
                self.workloads.get((owner.kind, workload.namespace, owner.name)) if owner else None
            )

    def events_after(self, resource_version: int) -> list[WatchEvent]:
        with self.lock:
            return [e for e in self._events if e.resource_version > resource_version]

    def wait_for_change(self, resource_version: int, timeout: float) -> None:
        with self._changed:
            if self._resource_version <= resource_version and not self.stopped:
                self._changed.wait(timeout)

    def _after(self, seconds: float, action: Callable[[], None]) -> None:
        def fire():
            with self.lock:
                self._timers.discard(timer)
                if self.stopped:
                    return
            action()

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        with self.lock:
            self._timers.add(timer)
        timer.start()

    # --- namespaces ---------------------------------------------------------------------------

    def add_namespace(self, name: str) -> Namespace:
        with self.lock:
            if name in self.namespaces:
                return self.namespaces[name]
            namespace = Namespace(name)
            self._touch(namespace)
            self.namespaces[name] = namespace
            self._emit("ADDED", "namespaces", namespace)
            return namespace

    def require_namespace(self, name: str) -> None:
        if name not in self.namespaces:
            raise NotFound("namespace", None, name)

    # --- pods ---------------------------------------------------------------------------------

    def create_pod(
        self,
        namespace: str,
        name: str,
        labels: dict[str, str],
        containers: list[Container],
        owner: Optional[OwnerRef] = None,
        ready: bool = True,
        phase: str = "Running",
    ) -> Pod:
        with self.lock:
            self.require_namespace(namespace)
            if (namespace, name) in self.pods:
                raise ValueError(f"pod {name!r} already exists in namespace {namespace!r}")
            stamp = now()
            pod = Pod(
                name=name,
                namespace=namespace,
                labels=dict(labels),
                containers=copy.deepcopy(containers),
                owner=owner,
                phase=phase,
                ready=ready,
                created=stamp,
                started=stamp,
                ready_changed=stamp,
                pod_ip=self._allocate_pod_ip(),
            )
            backends = {}
            for port in pod.declared_ports():
                backend = Backend(name, namespace, port)
                if phase == "Running":
                    backend.start()
                backends[port] = backend
            self.backends[(namespace, name)] = backends
            self._touch(pod)
            self.pods[(namespace, name)] = pod
            self._emit("ADDED", "pods", pod)
            self._changed_workload(self.owner_of(pod))
            return pod

    def _allocate_pod_ip(self) -> str:
        self._next_pod_ip += 1
        return f"10.244.{self._next_pod_ip // 250}.{self._next_pod_ip % 250 + 2}"

    def get_pod(self, namespace: str, name: str) -> Pod:
        with self.lock:
            pod = self.pods.get((namespace, name))
            if pod is None:
                raise NotFound("pod", namespace, name)
            return pod

    def owner_of(self, pod: Pod) -> Optional[Workload]:
        if pod.owner is None:
            return None
        return self.workloads.get((pod.owner.kind, pod.namespace, pod.owner.name))

    def pods_of(self, workload: Workload) -> list[Pod]:
        """Pods a workload owns; for a Deployment, through its ReplicaSets."""
        with self.lock:
            owners = {workload.uid}
            if workload.kind == "Deployment":
                owners |= {
                    w.uid
                    for w in self.workloads.values()
                    if w.owner is not None and w.owner.uid == workload.uid
                }
            return sorted(
                (p for p in self.pods.values() if p.owner is not None and p.owner.uid in owners),
                key=lambda p: p.name,
            )

    def list_pods(self, namespace: Optional[str], selector: Optional[str] = None) -> list[Pod]:
        with self.lock:
            return [
                pod
                for key, pod in sorted(self.pods.items())
                if (namespace is None or key[0] == namespace)
                and label_selector_matches(selector, pod.labels)
            ]

    def set_ready(self, namespace: str, name: str, ready: bool) -> Pod:
        with self.lock:
            pod = self.get_pod(namespace, name)
            if pod.ready != ready:
                pod.ready = ready
                pod.ready_changed = now()
                self._touch(pod)
                self._emit("MODIFIED", "pods", pod)
                self._changed_workload(self.owner_of(pod))
            return pod

    def backdate(self, namespace: str, name: str, seconds: float) -> Pod:
        """The pod was created, started and became Ready `seconds` earlier than recorded."""
        delta = datetime.timedelta(seconds=seconds)
        with self.lock:
            pod = self.get_pod(namespace, name)
            pod.created -= delta
            if pod.started is not None:
                pod.started -= delta
            if pod.ready_changed is not None:
                pod.ready_changed -= delta
            self._touch(pod)
            self._emit("MODIFIED", "pods", pod)
            return pod

    def set_phase(self, namespace: str, name: str, phase: str) -> Pod:
        """Running, Pending, Succeeded, Failed or Unknown; only Running pods serve their ports."""
        with self.lock:
            pod = self.get_pod(namespace, name)
            pod.phase = phase
            pod.ready_changed = now()
            for backend in self.backends.get((namespace, name), {}).values():
                if phase == "Running":
                    backend.start()
                else:
                    backend.stop()
            self._touch(pod)
            self._emit("MODIFIED", "pods", pod)
            self._changed_workload(self.owner_of(pod))
            return pod

    def restart_containers(self, namespace: str, name: str) -> Pod:
        """The containers crashed and came back: restartCount goes up, open connections drop."""
        with self.lock:
            pod = self.get_pod(namespace, name)
            backends = list(self.backends.get((namespace, name), {}).values())
        for backend in backends:
            backend.stop()
        with self.lock:
            if pod.phase == "Running" and not pod.terminating:
                for backend in backends:
                    backend.start()
            pod.restart_count += 1
            pod.started = now()
            self._touch(pod)
            self._emit("MODIFIED", "pods", pod)
            return pod

    def delete_pod(
        self,
        namespace: str,
        name: str,
        grace_seconds: Optional[float] = None,
        close_sessions: bool = False,
        ready_while_terminating: bool = False,
    ) -> Pod:
        """Marks the pod Terminating for grace_seconds (the cluster default if None), then
        removes it. Port-forward sessions to it stay open unless close_sessions; once its
        containers have stopped, new connections through them fail the way kubelet fails them.

        ready_while_terminating=False: its containers stop at once and it turns Ready=False (an
        app that exits on SIGTERM). True: what real pods usually do (a preStop hook, an app
        draining on SIGTERM): it stays Ready=True and its containers keep serving, with
        deletionTimestamp set, until the grace period ends and it is gone. kubectl's own pod
        choice (older, longer-Ready first) then picks the dying pod."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        with self.lock:
            pod = self.get_pod(namespace, name)
            if pod.terminating:
                if grace <= 0:
                    self._finalize_pod(namespace, name, pod.uid)
                return pod
            pod.deletion_timestamp = now() + datetime.timedelta(seconds=grace)
            pod.deletion_grace_seconds = int(round(grace))
            pod.serving_while_terminating = ready_while_terminating
            if not ready_while_terminating:
                pod.ready = False
                pod.ready_changed = now()
            self._touch(pod)
            self._emit("MODIFIED", "pods", pod)
            backends = [] if ready_while_terminating else list(
                self.backends.get((namespace, name), {}).values())
            sessions = list(self.sessions.get((namespace, name), ()))
            owner = self.owner_of(pod)
        # The ReplicaSet controller replaces a pod as soon as it is marked for deletion, while the
        # kubelet is still stopping its containers: the replacement comes first.
        with self.lock:
            self._changed_workload(owner)
            if owner is not None and owner.kind == "ReplicaSet" and self.self_heal:
                self.reconcile(owner)
        for backend in backends:
            backend.stop()
        if close_sessions:
            for session in sessions:
                session.close()
        if grace <= 0:
            self._finalize_pod(namespace, name, pod.uid)
        else:
            self._after(grace, lambda: self._finalize_pod(namespace, name, pod.uid))
        return pod

    def _finalize_pod(self, namespace: str, name: str, uid: str) -> None:
        with self.lock:
            pod = self.pods.get((namespace, name))
            if pod is None or pod.uid != uid:
                return
            del self.pods[(namespace, name)]
            backends = self.backends.pop((namespace, name), {})
            self._touch(pod)
            self._emit("DELETED", "pods", pod)
            owner = self.owner_of(pod)
            self._changed_workload(owner)
        for backend in backends.values():
            backend.close()
        with self.lock:
            if owner is not None and owner.kind == "StatefulSet" and self.self_heal:
                self.reconcile(owner)

    def backend_port(self, namespace: str, name: str, uid: str, port: int) -> Optional[int]:
        with self.lock:
            pod = self.pods.get((namespace, name))
            if pod is None or pod.uid != uid:
                return None
            backend = self.backends.get((namespace, name), {}).get(port)
            return backend.port if backend is not None and backend.running else None

    def backend(self, namespace: str, name: str, port: Optional[int] = None) -> Backend:
        with self.lock:
            backends = self.backends.get((namespace, name))
            if not backends:
                raise NotFound("backend of pod", namespace, name)
            if port is None:
                return backends[sorted(backends)[0]]
            if port not in backends:
                raise NotFound(f"container port {port} of pod", namespace, name)
            return backends[port]

    # --- port-forward sessions ----------------------------------------------------------------

    def pod_target(self, pod: Pod) -> kubelet.PodTarget:
        namespace, name, uid = pod.namespace, pod.name, pod.uid

        def lookup() -> Optional[Pod]:
            with self.lock:
                current = self.pods.get((namespace, name))
                return current if current is not None and current.uid == uid else None

        return kubelet.PodTarget(
            self.runtime,
            pod.sandbox_id,
            lookup,
            lambda port: self.backend_port(namespace, name, uid, port),
            lambda: self.hang_streams,
        )

    def add_session(self, namespace: str, name: str, session) -> None:
        with self.lock:
            self.sessions.setdefault((namespace, name), set()).add(session)

    def remove_session(self, namespace: str, name: str, session) -> None:
        with self.lock:
            sessions = self.sessions.get((namespace, name))
            if sessions is not None:
                sessions.discard(session)
                if not sessions:
                    del self.sessions[(namespace, name)]

    def all_sessions(self) -> list:
        with self.lock:
            return [s for sessions in self.sessions.values() for s in sessions]

    # --- services -----------------------------------------------------------------------------

    def add_service(
        self,
        name: str,
        namespace: str,
        selector: dict[str, str],
        ports: list[ServicePort],
        headless: bool = False,
        labels: Optional[dict[str, str]] = None,
    ) -> Service:
        with self.lock:
            self.require_namespace(namespace)
            if (namespace, name) in self.services:
                raise ValueError(f"service {name!r} already exists in namespace {namespace!r}")
            self._next_cluster_ip += 1
            cluster_ip = (
                "None"
                if headless
                else f"10.96.{self._next_cluster_ip // 250}.{self._next_cluster_ip % 250 + 2}"
            )
            service = Service(
                name=name,
                namespace=namespace,
                selector=dict(selector),
                ports=list(ports),
                labels=dict(labels or {}),
                cluster_ip=cluster_ip,
            )
            self._touch(service)
            self.services[(namespace, name)] = service
            self._emit("ADDED", "services", service)
            return service

    def get_service(self, namespace: str, name: str) -> Service:
        with self.lock:
            service = self.services.get((namespace, name))
            if service is None:
                raise NotFound("service", namespace, name)
            return service

    def list_services(self, namespace: Optional[str], selector: Optional[str] = None) -> list:
        with self.lock:
            return [
                s
                for key, s in sorted(self.services.items())
                if (namespace is None or key[0] == namespace)
                and label_selector_matches(selector, s.labels)
            ]

    # --- shutdown -----------------------------------------------------------------------------

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            timers = list(self._timers)
            self._timers.clear()
            backends = [b for group in self.backends.values() for b in group.values()]
            sessions = self.all_sessions()
            self._changed.notify_all()
        for timer in timers:
            timer.cancel()
        for session in sessions:
            session.close()
        for backend in backends:
            backend.close()
