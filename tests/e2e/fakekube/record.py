"""Runs real kubectl through each failure the fake cluster can stage and prints what it said.

    PYTHONPATH=tests/e2e /usr/bin/python3 -m fakekube record [--versions 1.27,default,1.33]

KUBECTL_OUTPUT.md was written from this output; rerun it when the kubectl binaries change.
Variable parts are replaced by <PLACEHOLDERS> (see normalize()).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import re
import signal
import socket
import time
import urllib.error
import urllib.request
from typing import Callable, Optional

from .cluster import FakeCluster
from .kubectl import KubectlProcess, ProcessExited, kubectl_path

LONG_WAIT = 45.0


@dataclasses.dataclass
class Transcript:
    scenario: str
    version: str
    argv: list[str]
    lines: list[str]
    exit_code: str
    seconds: float
    notes: list[str]


def normalize(text: str, cluster: Optional[FakeCluster] = None) -> str:
    text = re.sub(
        r"\b([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ ", r"\1<MMDD hh:mm:ss.us> <PID> ", text
    )
    text = re.sub(r"\b[0-9a-f]{64}\b", "<SANDBOX_ID>", text)
    text = re.sub(r"cni-[0-9a-f-]{36}", "cni-<NETNS_UUID>", text)
    text = re.sub(
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<UUID>", text
    )
    if cluster is not None:
        text = text.replace(f"127.0.0.1:{cluster.port}", "127.0.0.1:<API_PORT>")
        text = text.replace(f":{cluster.port}/", ":<API_PORT>/")
        with cluster.state.lock:
            names = sorted(
                {key[1] for key in cluster.state.pods} | set(_seen_pods), key=len, reverse=True
            )
        for name in names:
            text = text.replace(name, "<POD>")
    return text


_seen_pods: set[str] = set()


def _local_port(line: str) -> int:
    return int(re.search(r":(\d+) -> ", line).group(1))


def _http_get(port: int, timeout: float = 10) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout) as response:
            return f"HTTP {response.status}: {response.read().decode()}"
    except (urllib.error.URLError, OSError) as exc:
        return f"client error: {exc!r}"


class Scenario:
    def __init__(self, version: str) -> None:
        self.version = version
        self.notes: list[str] = []
        self.cluster = FakeCluster(grace_seconds=3)
        self.pods = self.cluster.add_deployment("web", replicas=1, ports={"http": 8080})
        _seen_pods.update(self.pods)
        self.process: Optional[KubectlProcess] = None
        self.started = time.monotonic()

    def start(self, *args: str) -> KubectlProcess:
        self.process = KubectlProcess(
            args, env=self.cluster.kubectl_env(), kubectl=kubectl_path(self.version)
        )
        self.started = time.monotonic()
        return self.process

    def start_forward(self, *extra: str, target: str = "deploy/web") -> int:
        process = self.start("port-forward", target, ":8080", "--address", "127.0.0.1", *extra)
        return _local_port(process.wait_for("Forwarding from", timeout=LONG_WAIT))

    def note(self, text: str) -> None:
        self.notes.append(f"[{time.monotonic() - self.started:5.1f}s] {text}")

    def finish(self, scenario: str, wait: float = 20.0) -> Transcript:
        assert self.process is not None
        try:
            code = str(self.process.wait_exit(timeout=wait))
        except TimeoutError:
            code = f"still running after {wait:.0f}s (then SIGTERM)"
            self.process.stop()
        seconds = time.monotonic() - self.started
        lines = [f"[{line.stream}] {normalize(line, self.cluster)}" for line in self.process.lines]
        transcript = Transcript(
            scenario,
            self.version,
            [normalize(a, self.cluster) for a in self.process.argv[1:]],
            lines,
            code,
            seconds,
            [normalize(n, self.cluster) for n in self.notes],
        )
        self.cluster.stop()
        return transcript


def ready_and_sigint(s: Scenario) -> Transcript:
    port = s.start_forward()
    s.note(_http_get(port))
    s.note(_http_get(port))
    s.process.process.send_signal(signal.SIGINT)
    s.note("sent SIGINT")
    return s.finish("ready, two connections, then SIGINT")


def ready_and_sigterm(s: Scenario) -> Transcript:
    s.start_forward()
    s.process.process.send_signal(signal.SIGTERM)
    s.note("sent SIGTERM")
    return s.finish("ready, then SIGTERM")


def backend_refused(s: Scenario) -> Transcript:
    port = s.start_forward()
    s.cluster.stop_backend(s.pods[0])
    s.note("backend stopped (port closed inside the pod)")
    s.note(_http_get(port))
    return s.finish("backend refuses the connection")


def pod_deleted_keep_sessions(s: Scenario) -> Transcript:
    port = s.start_forward()
    s.note(_http_get(port))
    s.cluster.delete_pod(s.pods[0])
    s.note("pod deleted (grace 3s), session kept")
    time.sleep(4)  # past the grace period, to show kubectl does not notice on its own
    s.note(f"kubectl running after the pod is gone: {s.process.running}")
    s.note(_http_get(port))
    return s.finish("pod deleted, session kept, then a new connection")


def pod_deleted_close_sessions(s: Scenario) -> Transcript:
    port = s.start_forward()
    s.note(_http_get(port))
    s.cluster.delete_pod(s.pods[0], close_sessions=True)
    s.note("pod deleted, sessions closed")
    return s.finish("pod deleted, session closed by the server")


def api_refused_at_start(s: Scenario) -> Transcript:
    s.cluster.api_down()
    s.start("port-forward", "deploy/web", ":8080", "--address", "127.0.0.1")
    return s.finish("API server refuses connections at start")


def api_down_while_forwarding(s: Scenario) -> Transcript:
    port = s.start_forward()
    s.note(_http_get(port))
    s.cluster.api_down()
    s.note("API server down")
    return s.finish("API server goes down while forwarding")


def api_hang_at_start(s: Scenario) -> Transcript:
    s.cluster.api_hang(True)
    s.start("port-forward", "deploy/web", ":8080", "--address", "127.0.0.1")
    return s.finish("API server hangs at start (no --request-timeout)", wait=LONG_WAIT)


def api_hang_at_start_request_timeout(s: Scenario) -> Transcript:
    s.cluster.api_hang(True)
    s.start("port-forward", "deploy/web", ":8080", "--address", "127.0.0.1", "--request-timeout=5s")
    return s.finish("API server hangs at start, --request-timeout=5s", wait=LONG_WAIT)


def api_hang_while_forwarding(s: Scenario) -> Transcript:
    port = s.start_forward("--request-timeout=5s")
    s.cluster.api_hang(True)
    s.note("API server hangs from now on")
    time.sleep(8)
    s.note(f"after 8s (> --request-timeout=5s): running={s.process.running}")
    s.note(_http_get(port))
    return s.finish("API server hangs while forwarding, --request-timeout=5s", wait=5)


def request_timeout_established(s: Scenario) -> Transcript:
    port = s.start_forward("--request-timeout=3s")
    s.note(_http_get(port))
    time.sleep(6)
    s.note(f"after 6s (> --request-timeout=3s): running={s.process.running}")
    s.note(_http_get(port))
    return s.finish("established forward outlives --request-timeout=3s", wait=3)


def upgrade_hang(s: Scenario) -> Transcript:
    s.cluster.hang_upgrades(True)
    s.start("port-forward", "deploy/web", ":8080", "--address", "127.0.0.1", "--request-timeout=3s")
    return s.finish("port-forward upgrade never answered, --request-timeout=3s", wait=15)


def deployment_not_found(s: Scenario) -> Transcript:
    s.start("port-forward", "deploy/nope", ":8080")
    return s.finish("deployment not found")


def pod_not_found(s: Scenario) -> Transcript:
    s.start("port-forward", "nope", ":8080")
    return s.finish("pod not found (bare name)")


def namespace_not_found(s: Scenario) -> Transcript:
    s.start("port-forward", "-n", "nope", "deploy/web", ":8080")
    return s.finish("namespace not found")


def unknown_context(s: Scenario) -> Transcript:
    s.start("port-forward", "--context", "nope", "deploy/web", ":8080")
    return s.finish("unknown context")


def local_port_in_use(s: Scenario) -> Transcript:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        s.start("port-forward", "deploy/web", f"{port}:8080", "--address", "127.0.0.1")
        transcript = s.finish("local port already in use")
    finally:
        blocker.close()
    transcript.lines = [line.replace(str(port), "<LOCAL_PORT>") for line in transcript.lines]
    transcript.argv = [a.replace(str(port), "<LOCAL_PORT>") for a in transcript.argv]
    return transcript


def pod_not_running(s: Scenario) -> Transcript:
    s.cluster.set_phase(s.pods[0], "Pending")
    s.start("port-forward", f"pod/{s.pods[0]}", ":8080")
    return s.finish("pod not running (Pending)")


def no_pods(s: Scenario) -> Transcript:
    s.cluster.scale("web", 0)
    for pod in s.pods:
        s.cluster.delete_pod(pod, grace=0)  # Terminating pods are still listed, and picked
    s.start("port-forward", "deploy/web", ":8080", "--pod-running-timeout=3s")
    return s.finish("deployment has no pods, --pod-running-timeout=3s")


def stream_hang(s: Scenario) -> Transcript:
    port = s.start_forward()
    s.cluster.hang_streams(True)
    s.note("stream creation hangs from now on")
    s.note(_http_get(port, timeout=40))
    s.note(f"running after the failed connection: {s.process.running}")
    return s.finish("stream creation hangs (SYN_STREAM never answered)", wait=3)


def forbidden(s: Scenario) -> Transcript:
    s.cluster.forbid("create", "pods/portforward")
    s.cluster.forbid("get", "pods/portforward")
    s.start("port-forward", "deploy/web", ":8080")
    return s.finish("pods/portforward forbidden (RBAC)")


def unauthorized(s: Scenario) -> Transcript:
    s.cluster.set_unauthorized(True)
    s.start("port-forward", "deploy/web", ":8080")
    return s.finish("401 Unauthorized")


SCENARIOS: dict[str, Callable[[Scenario], Transcript]] = {
    f.__name__: f
    for f in (
        ready_and_sigint,
        ready_and_sigterm,
        backend_refused,
        pod_deleted_keep_sessions,
        pod_deleted_close_sessions,
        api_refused_at_start,
        api_down_while_forwarding,
        api_hang_at_start,
        api_hang_at_start_request_timeout,
        api_hang_while_forwarding,
        request_timeout_established,
        upgrade_hang,
        deployment_not_found,
        pod_not_found,
        namespace_not_found,
        unknown_context,
        local_port_in_use,
        pod_not_running,
        no_pods,
        stream_hang,
        forbidden,
        unauthorized,
    )
}


def run(version: str, name: str) -> Transcript:
    scenario = Scenario(version)
    try:
        return SCENARIOS[name](scenario)
    except (ProcessExited, TimeoutError) as exc:
        lines = scenario.process.lines if scenario.process else []
        if scenario.process:
            scenario.process.stop()
        scenario.cluster.stop()
        return Transcript(
            name, version, [], [f"[{l.stream}] {l}" for l in lines], f"FAILED: {exc}", 0, []
        )


def record(
    versions: list[str], names: Optional[list[str]] = None, workers: int = 6
) -> list[Transcript]:
    jobs = [(v, n) for n in (names or list(SCENARIOS)) for v in versions]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: run(*job), jobs))


def to_markdown(transcripts: list[Transcript]) -> str:
    out = []
    for t in transcripts:
        out.append(f"### {t.scenario} - kubectl {t.version}")
        out.append("```")
        out.append("$ kubectl " + " ".join(t.argv))
        out.extend(t.lines)
        out.append(f"# exit: {t.exit_code} after {t.seconds:.1f}s")
        out.extend(f"# {note}" for note in t.notes)
        out.append("```")
    return "\n".join(out) + "\n"
