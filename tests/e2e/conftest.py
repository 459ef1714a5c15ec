"""Fixtures for end-to-end tests that run real kubectl against the fake API server.

    cluster            a FakeCluster on 127.0.0.1:0 (empty but for namespaces), stopped after
    kubectl            start(*args, version=None, env=None) -> KubectlProcess, stopped after
    port_forward       start(target, remote, *extra, version=None) -> (KubectlProcess, local port)
    KUBECTL_VERSIONS   what to parametrize "where the version matters" with: the oldest installed
                       kubectl.1.N, default (the dispatcher), the newest; only $PFD_KUBECTL if set.
    report_figure      report_figure(text): a measured figure (failed requests during a pod
                       deletion...), printed in pytest's terminal summary even with -q and
                       written to $PFD_E2E_FIGURES (ctest sets it) for CI to show.

For the pfd scenarios (test_pfd_*.py; they need PFD_BIN and PFCTL_BIN, as ctest sets them):
    make_pfd           make_pfd(config_text) -> a started PfdInstance (tests/harness), stopped after
    reserve_ports      reserve_ports(n) -> n local ports no other process is handed, for pfd's
                       local ports (tests/harness/port_allocator.py; reserve_consecutive_ports too)
    pfd_config, kube_forward   the config text: the kubectl under test, the cluster's kubeconfig
    RequestLoop        a client issuing GET / through a local port during a recovery
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from fakekube import FakeCluster, KubectlProcess, kubectl_path  # noqa: E402
from fakekube.kubectl import ENV_VAR, available_versions, kubectl_available  # noqa: E402
from pfd_harness import PfdInstance, wait_for_exit  # noqa: E402
from port_allocator import reserve_consecutive_ports, reserve_ports  # noqa: E402,F401


def _versions() -> list[str]:
    """The oldest installed kubectl.1.N beside the one on PATH, the default, and the newest
    (tests/e2e/CMakeLists.txt derives the same two at configure time)."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return [chosen]
    available = available_versions()  # oldest first
    if not available:
        return ["default"]
    return list(dict.fromkeys([available[0], "default", available[-1]]))


KUBECTL_VERSIONS = _versions()


# On a machine without kubectl the suite skips these tests; CI sets PFD_REQUIRE_KUBECTL=1, where a
# missing kubectl must fail the run instead of silently proving nothing.
if os.environ.get("PFD_REQUIRE_KUBECTL") == "1" and not kubectl_available():
    raise pytest.UsageError("PFD_REQUIRE_KUBECTL=1 but no kubectl on PATH (and PFD_KUBECTL not set)")

requires_kubectl = pytest.mark.skipif(
    not kubectl_available(), reason="no kubectl on PATH (and PFD_KUBECTL not set)"
)


def version_id(version: str) -> str:
    return os.path.basename(version)


def minor_of(version: str) -> int:
    """The minor version a kubectl choice runs: "default" is the dispatcher, which runs 1.32
    for the fake cluster's default server version."""
    if version == "default":
        return 32
    match = re.search(r"1\.(\d+)", os.path.basename(version))
    return int(match.group(1)) if match else 32


# The minor version of the kubectl under test ($PFD_KUBECTL, else the dispatcher's 1.32).
KUBECTL_MINOR = minor_of(os.environ.get(ENV_VAR) or "default")


def wraps_errors(version: str) -> bool:
    """kubectl >= 1.31 logs errors as `"Unhandled Error" err="..."` (quoted, escaped)."""
    return minor_of(version) >= 31


@pytest.fixture
def cluster(tmp_path):
    fake = FakeCluster(str(tmp_path / "cluster"))
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def kubectl(cluster):
    started: list[KubectlProcess] = []

    def start(*args: str, version=None, env=None) -> KubectlProcess:
        process = KubectlProcess(
            args, env=env or cluster.kubectl_env(), kubectl=kubectl_path(version)
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()


FORWARDING = re.compile(r"^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$")


@pytest.fixture
def port_forward(kubectl):
    def start(target: str, remote: str, *extra: str, version=None):
        process = kubectl(
            "port-forward", target, f":{remote}", "--address", "127.0.0.1", *extra, version=version
        )
        line = process.wait_for(FORWARDING, timeout=30)
        return process, int(FORWARDING.match(line).group(1))

    return start


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(port: int, path: str = "/", timeout: float = 10) -> str:
    with _OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return response.read().decode()


def http_post(port: int, path: str, body: bytes, timeout: float = 30) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST")
    with _OPENER.open(request, timeout=timeout) as response:
        return response.read()


# --- pfd end-to-end helpers (test_pfd_*.py): the real pfd and pfctl against the fake cluster ----

# Restarts in tests follow each other quickly and are easy to read: no jitter, 100ms doubling.
FAST_BACKOFF = {"initial": "100ms", "max": "2s", "multiplier": 2, "jitter": 0, "resetAfter": "60s"}


def kube_forward(name: str, target: str, *ports: str, **fields) -> dict:
    """One kubectl forward entry: kube_forward("web", "deployment/web", "18080:8080")."""
    return {"name": name, "target": target, "ports": list(ports), **fields}


def pfd_config(cluster: FakeCluster, *forwards: dict, **defaults) -> str:
    """A pfd config for `forwards` against `cluster`, with the kubectl under test ($PFD_KUBECTL
    or the dispatcher) and FAST_BACKOFF as defaults; keyword arguments override the defaults.
    Written as JSON, which every YAML parser reads."""
    merged = {
        "kubectl": kubectl_path(),
        "kubeconfig": cluster.kubeconfig_path,
        "backoff": FAST_BACKOFF,
    }
    merged.update(defaults)
    return json.dumps(
        {"reloadOnChange": False, "defaults": merged, "forwards": list(forwards)}, indent=2
    )


def processes_in_environment(entry: str) -> list[int]:
    """The processes whose environment holds `entry` ("NAME=VALUE"): everything a pfd started
    with it, however deep, since children inherit their parent's environment."""
    wanted = entry.encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                if wanted in environ.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue  # gone, or not ours
    return found


@pytest.fixture
def make_pfd(cluster):
    """make_pfd(config_text, extra_env=None) -> a started PfdInstance whose kubectl children use
    the cluster's private discovery cache; stopped after the test, which then fails if anything
    pfd started (a kubectl port-forward, get or watch) outlived it."""
    instances: list[PfdInstance] = []
    # Marks pfd's environment, and so every process it starts, to find the ones left behind.
    marker = f"PFD_E2E_INSTANCE={os.getpid()}-{id(instances)}"

    def factory(config_text: str, start: bool = True, extra_env=None) -> PfdInstance:
        env = {"KUBECACHEDIR": cluster.cache_dir, "KUBECONFIG": cluster.kubeconfig_path}
        env.update(extra_env or {})
        env.update([marker.split("=", 1)])
        instance = PfdInstance(config_text, name="pfd-e2e", extra_env=env)
        instances.append(instance)
        if start:
            instance.start()
        return instance

    yield factory
    leftovers = []
    for instance in instances:
        leftovers += instance.cleanup()
    for pid in processes_in_environment(marker):
        if not wait_for_exit(pid, 5):
            leftovers.append(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert not leftovers, f"processes pfd started outlived it: {sorted(set(leftovers))}"


class RequestLoop:
    """What a user's client sees during a recovery: GET / through a local port, one request after
    another on a thread, until stopped. Counts the failed requests and records which pod answered
    each successful one (the fake backends answer GET / with their pod's name)."""

    def __init__(self, port: int, request_timeout: float = 3.0, pause: float = 0.02):
        self.port = port
        self.request_timeout = request_timeout
        self.pause = pause  # between requests, so that a refused port is not hammered
        self.failures = 0
        self.answers: list[str] = []
        self.errors: list[str] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RequestLoop":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                answer = http_get(self.port, timeout=self.request_timeout)
            # A connection cut in the middle of a response (the old pod's kubectl going away)
            # is an HTTPException, not an OSError; either is a failed request.
            except (OSError, http.client.HTTPException) as error:
                with self._cond:
                    self.failures += 1
                    self.errors.append(f"{type(error).__name__}: {error}")
                    self._cond.notify_all()
            else:
                with self._cond:
                    self.answers.append(answer)
                    self._cond.notify_all()
            self._stopping.wait(self.pause)

    def mark(self) -> int:
        """The number of answers so far: wait_for_answer(since=mark()) looks only at later ones."""
        with self._cond:
            return len(self.answers)

    def wait_for_answer(self, accept, timeout: float = 30.0, since: int = 0) -> str:
        """Blocks until a successful request's answer (the `since`-th or a later one) satisfies
        accept(answer); returns it."""
        deadline = time.monotonic() + timeout
        seen = since
        with self._cond:
            while True:
                for answer in self.answers[seen:]:
                    if accept(answer):
                        return answer
                seen = len(self.answers)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no accepted answer through port {self.port} within {timeout}s; "
                        f"answers {self.answers[-5:]}, {self.failures} failures, last errors "
                        f"{self.errors[-3:]}"
                    )
                self._cond.wait(remaining)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(self.request_timeout + 5)


# --- figures the tests measure (failed client requests during a recovery...) -------------------

_FIGURES: list[str] = []


@pytest.fixture
def report_figure(request):
    """report_figure(text): records `text` against the test; pytest_terminal_summary prints the
    figures (pytest -q shows them too), and writes them to $PFD_E2E_FIGURES if set."""

    def report(text: str) -> None:
        kubectl = os.path.basename(os.environ.get(ENV_VAR) or "default")
        _FIGURES.append(f"{request.node.name} [kubectl {kubectl}]: {text}")

    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _FIGURES:
        return
    terminalreporter.section("pfd e2e figures")
    for line in _FIGURES:
        terminalreporter.write_line(line)
    path = os.environ.get("PFD_E2E_FIGURES")
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as out:
            out.write("".join(line + "\n" for line in _FIGURES))
