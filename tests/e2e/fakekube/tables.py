"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for (as=Table)."""

from __future__ import annotations

import datetime
from typing import Any, Callable, Optional

from .render import Json, human_age

_NAME = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": "CreationTimestamp is a timestamp representing the server time when this "
    "object was created.",
    "priority": 0,
}


def _column(name: str, kind: str = "string", priority: int = 0, description: str = "") -> Json:
    return {
        "name": name,
        "type": kind,
        "format": "",
        "description": description,
        "priority": priority,
    }


def _created(obj: Json) -> Optional[datetime.datetime]:
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return None
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc
    )


def _containers(obj: Json) -> list[Json]:
    return obj["spec"]["template"]["spec"]["containers"]


def _pod_row(pod: Json) -> list[Any]:
    statuses = pod["status"].get("containerStatuses", [])
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = max((s.get("restartCount", 0) for s in statuses), default=0)
    reason = pod["status"].get("phase", "Unknown")
    for status in statuses:
        waiting = status.get("state", {}).get("waiting")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    node = pod["spec"].get("nodeName", "<none>")
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(pod['spec']['containers'])}",
        reason,
        str(restarts),
        human_age(_created(pod)),
        pod["status"].get("podIP", "<none>"),
        node,
        "<none>",
        "<none>",
    ]


def _workload_wide(obj: Json) -> list[Any]:
    containers = _containers(obj)
    return [",".join(c["name"] for c in containers), ",".join(c["image"] for c in containers)]


def _selector(obj: Json) -> str:
    labels = obj["spec"].get("selector", {}).get("matchLabels", {})
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


def _deployment_row(obj: Json) -> list[Any]:
    status = obj["status"]
    return [
        obj["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{obj['spec']['replicas']}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        human_age(_created(obj)),
        *_workload_wide(obj),
        _selector(obj),
    ]


def _replicaset_row(obj: Json) -> list[Any]:
    status = obj["status"]
    return [
        obj["metadata"]["name"],
        obj["spec"]["replicas"],
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        human_age(_created(obj)),
        *_workload_wide(obj),
        _selector(obj),
    ]


def _statefulset_row(obj: Json) -> list[Any]:
    return [
        obj["metadata"]["name"],
        f"{obj['status'].get('readyReplicas', 0)}/{obj['spec']['replicas']}",
        human_age(_created(obj)),
        *_workload_wide(obj),
    ]


def _service_row(obj: Json) -> list[Any]:
    ports = ",".join(f"{p['port']}/{p['protocol']}" for p in obj["spec"]["ports"]) or "<none>"
    selector = obj["spec"].get("selector") or {}
    return [
        obj["metadata"]["name"],
        obj["spec"]["type"],
        obj["spec"].get("clusterIP") or "<none>",
        "<none>",
        ports,
        human_age(_created(obj)),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>",
    ]


def _namespace_row(obj: Json) -> list[Any]:
    return [obj["metadata"]["name"], obj["status"]["phase"], human_age(_created(obj))]


_WORKLOAD_WIDE = [_column("Containers", priority=1), _column("Images", priority=1)]

_TABLES: dict[str, tuple[list[Json], Callable[[Json], list[Any]]]] = {
    "pods": (
        [
            _NAME,
            _column("Ready", description="The aggregate readiness state of this pod"),
            _column("Status", description="The aggregate status of the containers in this pod."),
            _column("Restarts", description="The number of times the containers restarted."),
            _AGE,
            _column("IP", priority=1, description="IP address allocated to the pod."),
            _column("Node", priority=1, description="Name of the node the pod is assigned to."),
            _column("Nominated Node", priority=1),
            _column("Readiness Gates", priority=1),
        ],
        _pod_row,
    ),
    "deployments": (
        [
            _NAME,
            _column("Ready", description="Number of the pod with ready state"),
            _column("Up-to-date", "integer", description="Total number of updated replicas."),
            _column("Available", "integer", description="Total number of available replicas."),
            _AGE,
            *_WORKLOAD_WIDE,
            _column("Selector", priority=1),
        ],
        _deployment_row,
    ),
    "replicasets": (
        [
            _NAME,
            _column("Desired", "integer"),
            _column("Current", "integer"),
            _column("Ready", "integer"),
            _AGE,
            *_WORKLOAD_WIDE,
            _column("Selector", priority=1),
        ],
        _replicaset_row,
    ),
    "statefulsets": (
        [_NAME, _column("Ready"), _AGE, *_WORKLOAD_WIDE],
        _statefulset_row,
    ),
    "services": (
        [
            _NAME,
            _column("Type"),
            _column("Cluster-IP"),
            _column("External-IP"),
            _column("Port(s)"),
            _AGE,
            _column("Selector", priority=1),
        ],
        _service_row,
    ),
    "namespaces": (
        [_NAME, _column("Status"), _AGE],
        _namespace_row,
    ),
}


def supports_table(resource: str) -> bool:
    return resource in _TABLES


def _partial_metadata(obj: Json) -> Json:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def to_table(resource: str, objects: list[Json], resource_version: int, include: str) -> Json:
    """include is the includeObject query parameter: None, Metadata (default) or Object."""
    columns, row_fn = _TABLES[resource]
    rows = []
    for obj in objects:
        row: Json = {"cells": row_fn(obj)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = _partial_metadata(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": columns,
        "rows": rows,
    }
