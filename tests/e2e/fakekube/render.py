"""JSON for the objects in model.py, shaped like a real API server's answers."""

from __future__ import annotations

import datetime
from typing import Any, Iterable, Optional

from .model import (
    Namespace,
    OwnerRef,
    Pod,
    Service,
    Workload,
    format_time,
    now,
)

Json = dict[str, Any]

APPS = "apps/v1"


def _metadata(
    name: str,
    namespace: Optional[str],
    uid: str,
    resource_version: int,
    created: datetime.datetime,
    labels: Optional[dict[str, str]] = None,
    owner: Optional[OwnerRef] = None,
    extra: Optional[Json] = None,
) -> Json:
    meta: Json = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(
        {
            "uid": uid,
            "resourceVersion": str(resource_version),
            "creationTimestamp": format_time(created),
        }
    )
    if labels:
        meta["labels"] = dict(labels)
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner.api_version,
                "kind": owner.kind,
                "name": owner.name,
                "uid": owner.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if extra:
        meta.update(extra)
    return meta


def _container_json(container) -> Json:
    out: Json = {
        "name": container.name,
        "image": container.image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if container.ports:
        ports = []
        for port in container.ports:
            item: Json = {"containerPort": port.container_port, "protocol": port.protocol}
            if port.name:
                item = {"name": port.name, **item}
            ports.append(item)
        out["ports"] = ports
    return out


def pod_json(pod: Pod) -> Json:
    extra: Json = {}
    if pod.deletion_timestamp is not None:
        extra["deletionTimestamp"] = format_time(pod.deletion_timestamp)
        extra["deletionGracePeriodSeconds"] = pod.deletion_grace_seconds
    meta = _metadata(
        pod.name,
        pod.namespace,
        pod.uid,
        pod.resource_version,
        pod.created,
        pod.labels,
        pod.owner,
        extra,
    )
    if pod.owner is not None and pod.owner.kind == "ReplicaSet":
        meta["generateName"] = pod.name[: pod.name.rfind("-") + 1]
    running = pod.phase == "Running"
    started = pod.started or pod.created
    ready_changed = pod.ready_changed or started
    ready = "True" if (pod.ready and running) else "False"
    conditions = [
        {"type": "PodReadyToStartContainers", "status": "True" if running else "False"},
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": ready},
        {"type": "ContainersReady", "status": ready},
        {"type": "PodScheduled", "status": "True" if pod.node_name else "False"},
    ]
    for condition in conditions:
        condition["lastProbeTime"] = None
        changed = ready_changed if condition["type"] in ("Ready", "ContainersReady") else started
        condition["lastTransitionTime"] = format_time(changed)
        if condition["status"] == "False" and condition["type"] in ("Ready", "ContainersReady"):
            condition["reason"] = "ContainersNotReady"
            names = " ".join(c.name for c in pod.containers)
            condition["message"] = f"containers with unready status: [{names}]"
    statuses = []
    for container in pod.containers:
        status: Json = {
            "name": container.name,
            "image": container.image,
            "imageID": f"docker.io/library/{container.image}@sha256:" + "0" * 64,
            "containerID": f"containerd://{pod.sandbox_id[::-1]}",
            "ready": ready == "True",
            "restartCount": pod.restart_count,
            "started": running,
        }
        if running:
            status["state"] = {"running": {"startedAt": format_time(started)}}
        elif pod.phase == "Pending":
            status["state"] = {"waiting": {"reason": "ContainerCreating"}}
            status.pop("containerID")
        else:
            status["state"] = {
                "terminated": {
                    "exitCode": 1 if pod.phase == "Failed" else 0,
                    "reason": "Error" if pod.phase == "Failed" else "Completed",
                    "startedAt": format_time(started),
                    "finishedAt": format_time(ready_changed),
                }
            }
        statuses.append(status)
    spec: Json = {
        "containers": [_container_json(c) for c in pod.containers],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
    }
    if pod.node_name:
        spec["nodeName"] = pod.node_name
    status_json: Json = {
        "phase": pod.phase,
        "conditions": conditions,
        "hostIP": "172.18.0.2",
        "hostIPs": [{"ip": "172.18.0.2"}],
        "qosClass": "BestEffort",
        "startTime": format_time(pod.created),
        "containerStatuses": statuses,
    }
    if pod.pod_ip and pod.phase in ("Running", "Pending"):
        status_json["podIP"] = pod.pod_ip
        status_json["podIPs"] = [{"ip": pod.pod_ip}]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": spec,
        "status": status_json,
    }


def _template_json(workload: Workload) -> Json:
    return {
        "metadata": {"creationTimestamp": None, "labels": dict(workload.template_labels)},
        "spec": {
            "containers": [_container_json(c) for c in workload.containers],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
        },
    }


def workload_json(workload: Workload, pods: list[Pod], current_pods: list[Pod]) -> Json:
    """pods: every live pod the workload owns (directly or through its ReplicaSets);
    current_pods: those running the current template."""
    live = [p for p in pods if not p.terminating]
    ready = [p for p in live if p.ready and p.phase == "Running"]
    extra: Json = {"generation": workload.generation}
    if workload.kind == "Deployment":
        extra["annotations"] = {"deployment.kubernetes.io/revision": str(workload.revision)}
    elif workload.kind == "ReplicaSet":
        extra["annotations"] = {
            "deployment.kubernetes.io/desired-replicas": str(workload.replicas),
            "deployment.kubernetes.io/max-replicas": str(workload.replicas + 1),
            "deployment.kubernetes.io/revision": str(workload.revision),
        }
    meta = _metadata(
        workload.name,
        workload.namespace,
        workload.uid,
        workload.resource_version,
        workload.created,
        workload.labels,
        workload.owner,
        extra,
    )
    spec: Json = {
        "replicas": workload.replicas,
        "selector": {"matchLabels": dict(workload.selector)},
        "template": _template_json(workload),
    }
    status: Json = {
        "observedGeneration": workload.generation,
        "replicas": len(live),
        "readyReplicas": len(ready),
        "availableReplicas": len(ready),
    }
    if workload.kind == "Deployment":
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        }
        spec["revisionHistoryLimit"] = 10
        spec["progressDeadlineSeconds"] = 600
        status["updatedReplicas"] = len([p for p in current_pods if not p.terminating])
        status["unavailableReplicas"] = max(0, workload.replicas - len(ready))
        if status["unavailableReplicas"] == 0:
            status.pop("unavailableReplicas")
        stamp = format_time(workload.created)
        available = len(ready) >= workload.replicas
        status["conditions"] = [
            {
                "type": "Available",
                "status": "True" if available else "False",
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
                "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if available
                else "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": stamp,
                "lastTransitionTime": stamp,
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{workload.current}" has successfully progressed.',
            },
        ]
    elif workload.kind == "ReplicaSet":
        status["fullyLabeledReplicas"] = len(live)
    elif workload.kind == "StatefulSet":
        spec["serviceName"] = workload.current
        spec["podManagementPolicy"] = "OrderedReady"
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        status["currentReplicas"] = len(live)
        status["updatedReplicas"] = len(live)
        status["currentRevision"] = f"{workload.name}-{workload.uid[:10]}"
        status["updateRevision"] = status["currentRevision"]
        status["collisionCount"] = 0
    for key in ("readyReplicas", "availableReplicas"):
        if status[key] == 0:
            status.pop(key)
    return {
        "kind": workload.kind,
        "apiVersion": APPS,
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def service_json(service: Service) -> Json:
    ports = []
    for port in service.ports:
        item: Json = {"protocol": port.protocol, "port": port.port, "targetPort": port.target_port}
        if port.name:
            item = {"name": port.name, **item}
        ports.append(item)
    spec: Json = {
        "ports": ports,
        "clusterIP": service.cluster_ip,
        "clusterIPs": [service.cluster_ip],
        "type": service.type,
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    }
    if service.selector:
        spec["selector"] = dict(service.selector)
    meta = _metadata(
        service.name,
        service.namespace,
        service.uid,
        service.resource_version,
        service.created,
        service.labels,
    )
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": spec,
        "status": {"loadBalancer": {}},
    }


def namespace_json(namespace: Namespace) -> Json:
    meta = _metadata(
        namespace.name,
        None,
        namespace.uid,
        namespace.resource_version,
        namespace.created,
        {"kubernetes.io/metadata.name": namespace.name},
    )
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def list_json(kind: str, api_version: str, items: Iterable[Json], resource_version: int) -> Json:
    return {
        "kind": f"{kind}List",
        "apiVersion": api_version,
        "metadata": {"resourceVersion": str(resource_version)},
        "items": list(items),
    }


def status_json(code: int, reason: str, message: str, details: Optional[Json] = None) -> Json:
    out: Json = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        out["details"] = details
    out["code"] = code
    return out


def success_status(details: Json) -> Json:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def human_age(created: Optional[datetime.datetime]) -> str:
    """apimachinery's duration.HumanDuration, which kubectl get prints in the AGE column."""
    if created is None:
        return "<unknown>"
    seconds = int((now() - created).total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"
