"""FakeCluster: the one object a test holds. It owns the state, the API server, the backends
and the kubeconfig, and offers the knobs that break things on cue."""

from __future__ import annotations

import copy
import functools
import os
import shutil
import tempfile
import time
from typing import Callable, Optional

from . import kubeconfig
from .api_routes import ApiRouter, ForbiddenRule
from .apiserver import ApiServer
from .backend import Backend
from .model import Pod, PortsSpec, Workload, parse_ports, parse_service_ports
from .state import ClusterState

DEFAULT_NAMESPACES = ("default", "shop", "kube-system")

_TARGET_KINDS = {
    "pod": "Pod",
    "pods": "Pod",
    "po": "Pod",
    "deployment": "Deployment",
    "deployments": "Deployment",
    "deploy": "Deployment",
    "replicaset": "ReplicaSet",
    "replicasets": "ReplicaSet",
    "rs": "ReplicaSet",
    "statefulset": "StatefulSet",
    "statefulsets": "StatefulSet",
    "sts": "StatefulSet",
    "service": "Service",
    "services": "Service",
    "svc": "Service",
}


class FakeCluster:
    """A fake Kubernetes API server on 127.0.0.1 (on a port from tests/harness/port_allocator.py
    unless given) and its kubeconfig.

    server_version: what /version reports. The `kubectl` on PATH here is a dispatcher that runs
        the kubectl binary of the server's minor version (1.27..1.33) if it has one.
    runtime: "containerd" or "docker": the style of kubelet's port-forward error messages.
    grace_seconds: how long a deleted pod stays listed as Terminating.
    self_heal: ReplicaSets/StatefulSets replace deleted pods at once.
    websocket_portforward: accept kubectl >= 1.31's SPDY-over-WebSocket tunnel (as a 1.31+
        API server does); False answers 400 so that kubectl falls back to plain SPDY.
    aggregated_discovery: answer apidiscovery.k8s.io/v2 (or v2beta1) when asked.
    """

    def __init__(
        self,
        directory: Optional[str] = None,
        *,
        server_version: str = "1.32",
        runtime: str = "containerd",
        grace_seconds: float = 2.0,
        self_heal: bool = True,
        websocket_portforward: bool = True,
        aggregated_discovery: bool = True,
        namespaces: tuple[str, ...] = DEFAULT_NAMESPACES,
        port: int = 0,
    ) -> None:
        self._own_directory = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="fakekube-")
        os.makedirs(self.directory, exist_ok=True)
        self.state = ClusterState(runtime=runtime, grace_seconds=grace_seconds, self_heal=self_heal)
        self.router = ApiRouter(self.state, server_version)
        self.router.websocket_portforward = websocket_portforward
        self.router.aggregated_discovery = aggregated_discovery
        for namespace in namespaces:
            self.state.add_namespace(namespace)
        self.server = ApiServer(self.router, port=port)
        self.server.start()
        self.kubeconfig_path = kubeconfig.write_kubeconfig(
            os.path.join(self.directory, "kubeconfig"), self.server.url
        )
        self.cache_dir = os.path.join(self.directory, "kube-cache")
        self._stopped = False

    # --- where it is --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return self.server.url

    def kubectl_env(self, base: Optional[dict] = None) -> dict:
        """Environment for a kubectl that talks to this cluster: KUBECONFIG, and a private
        KUBECACHEDIR so discovery caches neither leak into ~/.kube nor between clusters."""
        env = dict(os.environ if base is None else base)
        env["KUBECONFIG"] = self.kubeconfig_path
        env["KUBECACHEDIR"] = self.cache_dir
        return env

    # --- objects ------------------------------------------------------------------------------

    def add_namespace(self, name: str) -> None:
        self.state.add_namespace(name)

    def add_deployment(
        self,
        name: str,
        ns: str = "default",
        replicas: int = 1,
        ports: PortsSpec = 8080,
        labels: Optional[dict[str, str]] = None,
        image: Optional[str] = None,
    ) -> list[str]:
        """Creates the Deployment, its ReplicaSet and `replicas` Running+Ready pods; returns
        the pod names."""
        deployment = self.state.add_deployment(
            name, ns, replicas, parse_ports(ports), labels, image
        )
        return [p.name for p in self.state.pods_of(deployment)]

    def add_replicaset(
        self,
        name: str,
        ns: str = "default",
        replicas: int = 1,
        ports: PortsSpec = 8080,
        labels: Optional[dict[str, str]] = None,
    ) -> list[str]:
        replicaset = self.state.add_replicaset(name, ns, replicas, parse_ports(ports), labels)
        return [p.name for p in self.state.pods_of(replicaset)]

    def add_statefulset(
        self,
        name: str,
        ns: str = "default",
        replicas: int = 1,
        ports: PortsSpec = 8080,
        labels: Optional[dict[str, str]] = None,
        service_name: Optional[str] = None,
    ) -> list[str]:
        statefulset = self.state.add_statefulset(
            name, ns, replicas, parse_ports(ports), labels, service_name
        )
        return [p.name for p in self.state.pods_of(statefulset)]

    def add_service(
        self,
        name: str,
        ns: str = "default",
        selector: Optional[dict[str, str]] = None,
        ports=80,
        headless: bool = False,
    ) -> None:
        """ports: 80 (port == targetPort), [(80, 8080)], [(80, "http")] (named targetPort),
        [("web", 80, "http")] (named service port) or dicts with port/targetPort/name."""
        self.state.add_service(
            name, ns, selector or {"app": name}, parse_service_ports(ports), headless
        )

    def add_pod(
        self,
        name: str,
        ns: str = "default",
        ports: PortsSpec = 8080,
        labels: Optional[dict[str, str]] = None,
        ready: bool = True,
        phase: str = "Running",
        image: Optional[str] = None,
    ) -> str:
        from .model import Container

        containers = [
            Container(name=name, image=image or self.state.image, ports=parse_ports(ports))
        ]
        self.state.create_pod(ns, name, labels or {"run": name}, containers, None, ready, phase)
        return name

    def delete_pod(
        self,
        name: str,
        ns: str = "default",
        grace: Optional[float] = None,
        close_sessions: bool = False,
        ready_while_terminating: bool = False,
    ) -> None:
        """Terminating for `grace` seconds (cluster default if None), then gone. Its containers
        stop at once and it turns not Ready, unless ready_while_terminating: then it stays
        Ready and serving until the grace period ends (what real pods usually do).
        close_sessions=False: open port-forward sessions survive and the next new connection
        through them, once the containers are gone, gets kubelet's "sandbox not found" error;
        True: they are cut."""
        self.state.delete_pod(ns, name, grace, close_sessions, ready_while_terminating)

    def rollout(
        self,
        deployment: str,
        ns: str = "default",
        grace: Optional[float] = None,
        ready_while_terminating: bool = True,
        new_pods_ready: bool = True,
    ) -> list[str]:
        """New ReplicaSet and new Ready pods, then the old pods deleted with `grace` (cluster
        default if None); returns the new pods. The old pods stay Ready and serving until their
        grace period ends (as real pods usually do), so kubectl's own choice is then a dying pod;
        ready_while_terminating=False makes them stop at once. new_pods_ready=False: the new
        pods are not Ready yet (set_ready() them), so that for a while the only Ready pods are
        dying ones.

        Which pod kubectl then picks (kubectl_choice): kubectl 1.27 ranks Ready pods by how long
        they have been Ready, so it picks a dying old pod even when the new ones are Ready
        (if the old pods became Ready in an earlier second; see backdate()); 1.28+ ranks a
        Ready terminating pod below a Ready live one, but above a pod that is not Ready yet."""
        replicaset = self.state.rollout(ns, deployment, grace, ready_while_terminating,
                                        new_pods_ready)
        return [p.name for p in self.state.pods_of(replicaset) if not p.terminating]

    def scale(
        self, name: str, replicas: int, ns: str = "default", kind: str = "Deployment"
    ) -> None:
        self.state.scale(kind, ns, name, replicas)

    def backdate(self, target: str, seconds: float, ns: str = "default") -> list[str]:
        """Makes the pods of `target` ("deployment/web", a pod name...) `seconds` older: created,
        started and Ready that much earlier. API timestamps have one-second resolution, so pods
        made in the same second tie in kubectl's ranking; long-running pods do not. Returns the
        pods."""
        with self.state.lock:
            names = [p.name for p in self._target_pods(target, ns)]
        for name in names:
            self.state.backdate(ns, name, seconds)
        return names

    def set_ready(self, pod: str, ready: bool, ns: str = "default") -> None:
        self.state.set_ready(ns, pod, ready)

    def set_phase(self, pod: str, phase: str, ns: str = "default") -> None:
        self.state.set_phase(ns, pod, phase)

    def restart_containers(self, pod: str, ns: str = "default") -> None:
        self.state.restart_containers(ns, pod)

    # --- reading state ------------------------------------------------------------------------

    def pods(self, ns: Optional[str] = "default", selector: Optional[str] = None) -> list[Pod]:
        """Snapshots (copies) of the pods, sorted by name; Terminating ones included."""
        with self.state.lock:
            return [copy.deepcopy(p) for p in self.state.list_pods(ns, selector)]

    def pod(self, name: str, ns: str = "default") -> Pod:
        with self.state.lock:
            return copy.deepcopy(self.state.get_pod(ns, name))

    def pod_names(
        self, owner: str, ns: str = "default", include_terminating: bool = False
    ) -> list[str]:
        """Pods of "deployment/web", "statefulset/db", "replicaset/x" or "service/web"."""
        return [
            p.name for p in self._target_pods(owner, ns) if include_terminating or not p.terminating
        ]

    def _target_pods(self, target: str, ns: str) -> list[Pod]:
        kind_text, _, name = target.partition("/")
        if not name:
            kind_text, name = "pod", kind_text
        kind = _TARGET_KINDS.get(kind_text.lower())
        if kind is None:
            raise ValueError(f"unknown target kind {kind_text!r} in {target!r}")
        with self.state.lock:
            if kind == "Pod":
                return [self.state.get_pod(ns, name)]
            if kind == "Service":
                service = self.state.get_service(ns, name)
                selector = ",".join(f"{k}={v}" for k, v in sorted(service.selector.items()))
                return self.state.list_pods(ns, selector)
            workload = self.state.get_workload(kind, ns, name)
            selector = ",".join(f"{k}={v}" for k, v in sorted(workload.selector.items()))
            return self.state.list_pods(ns, selector)

    def kubectl_choice(self, target: str, ns: str = "default", minor: int = 32) -> str:
        """The pod `kubectl port-forward TARGET` picks: the first of the selector's pods sorted
        by sort.Reverse(podutils.ActivePods), exactly as kubectl 1.`minor`'s GetFirstPod does
        (1.28 added "deleting < not deleting" after "not Ready < Ready"; kubectl commit
        70109f0, "Prefer pods without a deletion timestamp")."""
        with self.state.lock:
            pods = [copy.deepcopy(p) for p in self._target_pods(target, ns)]
        if not pods:
            raise LookupError(f"{target} in {ns} selects no pods")
        compare = functools.partial(_active_pods_compare, deleting_first=minor >= 28)
        best = sorted(pods, key=functools.cmp_to_key(compare), reverse=True)
        return best[0].name

    def wait_for(self, predicate: Callable[["FakeCluster"], bool], timeout: float = 10.0) -> None:
        """Blocks until predicate(cluster) is true, re-checking whenever the cluster changes
        (a pod added, modified or deleted); raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self.state.lock:
                version = self.state.resource_version
                if predicate(self):
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            self.state.wait_for_change(version, remaining)

    def workload(self, kind: str, name: str, ns: str = "default") -> Workload:
        with self.state.lock:
            return copy.deepcopy(self.state.get_workload(kind, ns, name))

    # --- backends -----------------------------------------------------------------------------

    def backend(self, pod: str, port: Optional[int] = None, ns: str = "default") -> Backend:
        """The server behind a container port (the lowest declared port if None)."""
        return self.state.backend(ns, pod, port)

    def stop_backend(self, pod: str, port: Optional[int] = None, ns: str = "default") -> None:
        """The process in the pod stops listening: kubelet's connect() is refused."""
        self.backend(pod, port, ns).stop()

    def start_backend(self, pod: str, port: Optional[int] = None, ns: str = "default") -> None:
        self.backend(pod, port, ns).start()

    def set_healthy(
        self, pod: str, healthy: bool, port: Optional[int] = None, ns: str = "default"
    ) -> None:
        """/healthz answers 200 when healthy, 500 when not."""
        self.backend(pod, port, ns).healthy = healthy

    # --- breaking the API server --------------------------------------------------------------

    def api_down(self) -> None:
        """The port refuses connections; open connections (port-forwards too) are cut."""
        self.server.down()

    def api_up(self) -> None:
        """Listens again on the same port."""
        self.server.start()

    def api_hang(self, hang: bool = True) -> None:
        """Accept connections and read requests but never answer them (until api_hang(False))."""
        self.server.set_hang(hang)

    def api_unavailable(self, unavailable: bool = True) -> None:
        """Answer every new request 503 ServiceUnavailable (until api_unavailable(False)), as an
        overloaded API server does; watches and port-forward sessions already open go on."""
        self.router.unavailable = unavailable

    def hang_upgrades(self, hang: bool = True) -> None:
        """Read port-forward upgrade requests but never answer them (the API server's proxy to
        kubelet is stuck): kubectl waits forever before "Forwarding from", --request-timeout
        notwithstanding."""
        self.server.set_hang(hang, upgrades_only=True)

    def api_delay(self, seconds: float) -> None:
        """Answer every request `seconds` late (0 to stop)."""
        self.server.delay_seconds = seconds

    def hang_streams(self, hang: bool = True) -> None:
        """Read SYN_STREAM frames but never answer them: kubectl stays up but each new
        connection waits 30 s for its streams and then fails."""
        self.state.hang_streams = hang

    def forbid(
        self,
        verb: Optional[str] = None,
        resource: Optional[str] = None,
        namespace: Optional[str] = None,
        user: Optional[str] = None,
    ) -> None:
        """403 for matching requests, e.g. forbid("create", "pods/portforward")."""
        self.router.forbidden.append(ForbiddenRule(verb, resource, namespace, user))

    def allow_all(self) -> None:
        self.router.forbidden.clear()

    def set_unauthorized(self, unauthorized: bool = True) -> None:
        """401 for every request, as with an expired token."""
        self.router.unauthorized = unauthorized

    def set_websocket_portforward(self, enabled: bool) -> None:
        self.router.websocket_portforward = enabled

    def open_sessions(self, pod: Optional[str] = None, ns: str = "default") -> int:
        """Port-forward sessions currently open (to one pod, or in total)."""
        with self.state.lock:
            if pod is None:
                return len(self.state.all_sessions())
            return len(self.state.sessions.get((ns, pod), ()))

    def wait_for_request(self, path_contains: str, timeout: float = 10.0):
        """Blocks until the API server has received a request whose path contains the text."""
        return self.server.wait_for_request(lambda r: path_contains in r.path, timeout)

    @property
    def requests(self):
        """What the API server was asked, oldest first (RequestRecord objects)."""
        return list(self.server.requests)

    # --- lifecycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.stop()
        self.state.stop()
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "FakeCluster":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _ready_time(pod: Pod):
    if pod.ready and pod.phase == "Running":
        return pod.ready_changed or pod.started or pod.created
    return None


def _after_or_zero(first, second) -> bool:
    """podutils.afterOrZero: a zero time counts as after any other."""
    if first is None or second is None:
        return first is None
    return first > second


def _active_less(a: Pod, b: Pod, deleting_first: bool = True) -> bool:
    """podutils.ActivePods.Less (kubectl/pkg/util/podutils); deleting_first: kubectl >= 1.28."""
    if a.node_name != b.node_name and (not a.node_name or not b.node_name):
        return not a.node_name
    rank = {"Pending": 0, "Unknown": 1, "Running": 2}
    if rank.get(a.phase, 0) != rank.get(b.phase, 0):
        return rank.get(a.phase, 0) < rank.get(b.phase, 0)
    a_ready, b_ready = _ready_time(a) is not None, _ready_time(b) is not None
    if a_ready != b_ready:
        return not a_ready
    if deleting_first and a.terminating != b.terminating:
        return a.terminating
    if deleting_first and a.terminating and a.deletion_timestamp != b.deletion_timestamp:
        return a.deletion_timestamp < b.deletion_timestamp
    if a_ready and b_ready and _ready_time(a) != _ready_time(b):
        return _after_or_zero(_ready_time(a), _ready_time(b))
    if a.restart_count != b.restart_count:
        return a.restart_count > b.restart_count
    if a.created != b.created:
        return _after_or_zero(a.created, b.created)
    return False


def _active_pods_compare(a: Pod, b: Pod, deleting_first: bool = True) -> int:
    if _active_less(a, b, deleting_first):
        return -1
    if _active_less(b, a, deleting_first):
        return 1
    return 0
