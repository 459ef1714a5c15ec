"""The node side of a port-forward: reaching a container port of a pod, and kubelet's messages.

kubelet writes "error forwarding port P to pod SANDBOX, uid : CAUSE" to the error stream (the uid
is empty under CRI). CAUSE depends on the container runtime; the two styles here are copied from
real clusters (containerd 1.6+/2.x, and dockershim/cri-dockerd).
"""

from __future__ import annotations

import socket
import uuid
from typing import TYPE_CHECKING, Callable, Optional

from .portforward import ForwardError

if TYPE_CHECKING:
    from .model import Pod

RUNTIMES = ("containerd", "docker")


def _netns(sandbox_id: str) -> str:
    return f"/var/run/netns/cni-{uuid.UUID(sandbox_id[:32])}"


def refused_message(runtime: str, sandbox_id: str, port: int) -> str:
    prefix = f"error forwarding port {port} to pod {sandbox_id}, uid : "
    if runtime == "docker":
        return (
            f"{prefix}exit status 1: 2024/01/01 00:00:00 socat[4242] E connect(5, AF=2 "
            f"127.0.0.1:{port}, 16): Connection refused\n"
        )
    # containerd tries IPv4 then IPv6 and reports both; note the trailing space.
    return (
        f'{prefix}failed to execute portforward in network namespace "{_netns(sandbox_id)}": '
        f'failed to connect to localhost:{port} inside namespace "{sandbox_id}", '
        f"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused "
        f"IPv6 dial tcp6 [::1]:{port}: connect: connection refused "
    )


def sandbox_gone_message(runtime: str, sandbox_id: str, port: int) -> str:
    prefix = f"error forwarding port {port} to pod {sandbox_id}, uid : "
    if runtime == "docker":
        return f"{prefix}Error: No such container: {sandbox_id}"
    return f'{prefix}failed to find sandbox "{sandbox_id}" in store: not found'


class PodTarget:
    """Implements portforward.PodDialer for one pod (identified by uid, so that a new pod with
    the same name, as a StatefulSet makes, is not reached through an old session)."""

    def __init__(
        self,
        runtime: str,
        sandbox_id: str,
        lookup: Callable[[], Optional["Pod"]],
        backend_port: Callable[[int], Optional[int]],
        streams_hang: Callable[[], bool],
    ) -> None:
        self._runtime = runtime
        self._sandbox_id = sandbox_id
        self._lookup = lookup
        self._backend_port = backend_port
        self._streams_hang = streams_hang

    def streams_hang(self) -> bool:
        return self._streams_hang()

    def dial(self, port: int) -> socket.socket:
        pod = self._lookup()
        if pod is None or (pod.terminating and not pod.serving_while_terminating):
            raise ForwardError(sandbox_gone_message(self._runtime, self._sandbox_id, port))
        backend_port = self._backend_port(port) if pod.phase == "Running" else None
        if backend_port is None:
            raise ForwardError(refused_message(self._runtime, self._sandbox_id, port))
        try:
            connection = socket.create_connection(("127.0.0.1", backend_port), timeout=5)
        except OSError:
            raise ForwardError(refused_message(self._runtime, self._sandbox_id, port)) from None
        connection.settimeout(None)
        return connection
