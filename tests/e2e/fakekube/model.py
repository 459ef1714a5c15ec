"""The objects the fake cluster holds, in the shape kubectl reads them (see render.py for JSON)."""

from __future__ import annotations

import dataclasses
import datetime
import secrets
import uuid
from typing import Optional, Union

# Kubernetes' rand.SafeEncodeString alphabet: no vowels, no ambiguous digits.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

PortsSpec = Union[None, int, list, dict]


def now() -> datetime.datetime:
    """API timestamps have one-second resolution (RFC 3339, metav1.Time)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def format_time(value: Optional[datetime.datetime]) -> Optional[str]:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def random_suffix(length: int) -> str:
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(length))


def new_uid() -> str:
    return str(uuid.uuid4())


@dataclasses.dataclass
class ContainerPort:
    container_port: int
    name: Optional[str] = None
    protocol: str = "TCP"


@dataclasses.dataclass
class Container:
    name: str
    image: str
    ports: list[ContainerPort]


def parse_ports(ports: PortsSpec) -> list[ContainerPort]:
    """Accepts 8080, [8080, 9090], [("http", 8080)], {"http": 8080} or ContainerPort objects."""
    if ports is None:
        return []
    if isinstance(ports, int):
        return [ContainerPort(ports)]
    if isinstance(ports, dict):
        return [ContainerPort(int(port), name) for name, port in ports.items()]
    parsed = []
    for item in ports:
        if isinstance(item, ContainerPort):
            parsed.append(item)
        elif isinstance(item, int):
            parsed.append(ContainerPort(item))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            parsed.append(ContainerPort(int(item[1]), str(item[0])))
        elif isinstance(item, dict):
            parsed.append(
                ContainerPort(
                    int(item["containerPort"]), item.get("name"), item.get("protocol", "TCP")
                )
            )
        else:
            raise ValueError(f"cannot read port spec {item!r}: use 8080, ('http', 8080) or a dict")
    return parsed


@dataclasses.dataclass
class OwnerRef:
    kind: str
    api_version: str
    name: str
    uid: str


@dataclasses.dataclass
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    containers: list[Container]
    uid: str = dataclasses.field(default_factory=new_uid)
    owner: Optional[OwnerRef] = None
    node_name: str = "fake-node-1"
    phase: str = "Running"
    ready: bool = True
    created: datetime.datetime = dataclasses.field(default_factory=now)
    started: Optional[datetime.datetime] = None
    ready_changed: Optional[datetime.datetime] = None
    deletion_timestamp: Optional[datetime.datetime] = None
    deletion_grace_seconds: Optional[int] = None
    # Deleted, but its containers keep running (and it stays Ready) until the grace period ends.
    serving_while_terminating: bool = False
    restart_count: int = 0
    pod_ip: str = ""
    # The CRI sandbox id kubelet names in its port-forward errors ("error forwarding ... to pod X").
    sandbox_id: str = dataclasses.field(default_factory=lambda: secrets.token_hex(32))
    resource_version: int = 0

    @property
    def terminating(self) -> bool:
        return self.deletion_timestamp is not None

    def container_port_names(self) -> dict[str, int]:
        return {p.name: p.container_port for c in self.containers for p in c.ports if p.name}

    def declared_ports(self) -> list[int]:
        return [p.container_port for c in self.containers for p in c.ports]


@dataclasses.dataclass
class Workload:
    """A Deployment, ReplicaSet or StatefulSet: a selector, a replica count and a pod template."""

    kind: str
    name: str
    namespace: str
    labels: dict[str, str]
    selector: dict[str, str]
    replicas: int
    containers: list[Container]
    template_labels: dict[str, str]
    uid: str = dataclasses.field(default_factory=new_uid)
    owner: Optional[OwnerRef] = None
    created: datetime.datetime = dataclasses.field(default_factory=now)
    generation: int = 1
    revision: int = 1
    resource_version: int = 0
    # Deployments: the ReplicaSet that holds the current template. StatefulSets: the headless
    # service name. ReplicaSets: the pod-template-hash.
    current: str = ""


@dataclasses.dataclass
class ServicePort:
    port: int
    target_port: Union[int, str]
    name: Optional[str] = None
    protocol: str = "TCP"


@dataclasses.dataclass
class Service:
    name: str
    namespace: str
    selector: dict[str, str]
    ports: list[ServicePort]
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    cluster_ip: str = ""
    type: str = "ClusterIP"
    uid: str = dataclasses.field(default_factory=new_uid)
    created: datetime.datetime = dataclasses.field(default_factory=now)
    resource_version: int = 0


@dataclasses.dataclass
class Namespace:
    name: str
    uid: str = dataclasses.field(default_factory=new_uid)
    created: datetime.datetime = dataclasses.field(default_factory=now)
    resource_version: int = 0


def parse_service_ports(ports) -> list[ServicePort]:
    """Accepts 80, [80], [(80, 8080)], [(name, 80, "http")], {"http": (80, "http")} or
    ServicePort objects; a bare number means port == targetPort."""
    if isinstance(ports, int):
        return [ServicePort(ports, ports)]
    if isinstance(ports, dict):
        items = []
        for name, spec in ports.items():
            port, target = (spec, spec) if isinstance(spec, int) else spec
            items.append(ServicePort(int(port), target, name))
        return items
    parsed = []
    for item in ports:
        if isinstance(item, ServicePort):
            parsed.append(item)
        elif isinstance(item, int):
            parsed.append(ServicePort(item, item))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            parsed.append(ServicePort(int(item[0]), item[1]))
        elif isinstance(item, (tuple, list)) and len(item) == 3:
            parsed.append(ServicePort(int(item[1]), item[2], str(item[0])))
        elif isinstance(item, dict):
            port = int(item["port"])
            parsed.append(
                ServicePort(
                    port,
                    item.get("targetPort", port),
                    item.get("name"),
                    item.get("protocol", "TCP"),
                )
            )
        else:
            raise ValueError(f"cannot read service port spec {item!r}: use 80 or (80, 'http')")
    return parsed


class NotFound(KeyError):
    """An object the caller named does not exist."""

    def __init__(self, kind: str, namespace: Optional[str], name: str) -> None:
        where = f" in namespace {namespace!r}" if namespace else ""
        self.message = f"{kind} {name!r} not found{where}"
        super().__init__(self.message)
        self.kind = kind
        self.name = name

    def __str__(self) -> str:
        return self.message
