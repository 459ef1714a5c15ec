"""Chaos soak: pfd with several forwards against the fake cluster, random faults for N minutes,
requests through every forward all along, invariants checked as it runs and at the end.

    PFD_BIN=build/daemon/pfd PFCTL_BIN=build/client/pfctl \\
        /usr/bin/python3 tests/soak/soak.py --minutes 3 [--seed S]

The seed is printed first; the same seed replays the same choices (fault kinds, their order,
durations, which forward, session kept or closed...), though not the same interleaving with
pfd's own timing. tests/soak/README.md says what runs and what is checked; in short:

* every forward READY and serving (a request answered, by a pod that is not the one deleted or
  rolled away) within RECOVERY_BOUND seconds after the last fault touching it cleared;
* a failed request must overlap a disturbance of its own forward that may fail requests (the
  API server refusing, hanging or answering 503, kubectl SIGSTOPped, /healthz 500, the local
  port taken): from the fault's start until the forward serves again. Faults the held ports
  hide (pod deleted, rollout, kubectl SIGKILLed, restart --all, reloads) may fail none; a
  request answered by another workload's pod is always a failure;
* no process pfd started outlives its place under pfd (an orphan still alive after
  ORPHAN_GRACE seconds), and none is left after pfd stopped;
* pfd's open descriptors and RSS after the run within +-10 % of after the warm-up (both taken
  at rest: no fault, no request in flight);
* pfd never exits or restarts (one pid all along, exit 0 on SIGTERM at the end).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))

from fakekube.kubectl import kubectl_path  # noqa: E402
from pfd_harness import PfdInstance, wait_for_pidfd  # noqa: E402
from port_allocator import release_ports, reserve_ports  # noqa: E402

# A forward must be READY and serving this long after its last fault cleared.
RECOVERY_BOUND = 5.0
# A client's request gives up after this long. Shorter than the default holdTimeout (10 s), so
# a connection held through an outage fails at the client; longer than holdTimeout 3s, so on
# those forwards pfd's own holdTimeout closes it first.
REQUEST_TIMEOUT = 5.0
# A process pfd started whose parent chain no longer reaches pfd may live this long (pfd-exec's
# watchdog outlives a SIGKILLed kubectl for a moment: it notices, then goes).
ORPHAN_GRACE = 5.0
FLAT_TOLERANCE = 0.10

HTTP_PROBE = {"httpGet": {"path": "/healthz"}, "periodSeconds": 1, "timeoutSeconds": 1,
              "failureThreshold": 2}
TCP_PROBE = {"tcpSocket": {}, "periodSeconds": 1, "timeoutSeconds": 1, "failureThreshold": 2}
BACKOFF = {"initial": "100ms", "max": "2s", "multiplier": 2, "jitter": 0.2, "resetAfter": "30s"}


@dataclasses.dataclass
class ForwardDef:
    name: str
    target: str
    remote: str
    pod_prefix: str  # every pod that may answer: its name starts with this
    workload: Optional[str] = None  # the deployment behind it (rollouts)
    deletable: bool = True  # its pod is recreated by a controller when deleted
    probe: Optional[dict] = None
    hold_timeout: Optional[str] = None  # None: the default, 10s

    @property
    def http_probe(self) -> bool:
        return bool(self.probe and "httpGet" in self.probe)


# Against soak_cluster.py's objects: 1 and 2 replicas, services, a bare pod, a StatefulSet; HTTP
# and TCP probes and none; holdTimeout 3s and the default 10s.
FORWARDS = [
    ForwardDef("web", "deployment/web", "8080", "web-", "web", probe=HTTP_PROBE),
    ForwardDef("web-svc", "service/web", "80", "web-", "web", hold_timeout="3s"),
    ForwardDef("single", "deployment/single", "8080", "single-", "single", hold_timeout="3s"),
    ForwardDef("api", "deployment/api", "9090", "api-", "api", probe=TCP_PROBE,
               hold_timeout="3s"),
    ForwardDef("shop", "service/shop", "80", "shop-", "shop", probe=HTTP_PROBE),
    ForwardDef("cart", "deployment/cart", "8080", "cart-", "cart", probe=HTTP_PROBE,
               hold_timeout="3s"),
    ForwardDef("db", "statefulset/db", "5432", "db-", probe=TCP_PROBE),
    ForwardDef("solo", "pod/solo", "8080", "solo", deletable=False),
]

# Faults the held ports must hide entirely, and those that may fail requests in their window.
HIDDEN = {"pod-deleted", "rollout", "kubectl-sigkill", "restart-all", "reload-storm",
          "reload-changed"}
MAY_FAIL = {"api-refusing", "api-hanging", "api-503", "kubectl-sigstop", "healthz-500",
            "port-stolen"}
# A response already under way when its kubectl is SIGKILLed or its pod's containers stop (a
# deletion) is lost with them: the client has the headers, then EOF. pfd cannot replay it (the
# app answered: docs/config.md, Replay), so these are counted on their own, not as violations.
# Any other failure under these faults is a violation.
LOST_IN_FLIGHT = {"kubectl-sigkill", "pod-deleted"}
# Relative weights of the kinds the scheduler draws.
WEIGHTS = {"pod-deleted": 5, "rollout": 3, "kubectl-sigkill": 4, "restart-all": 1,
           "reload-storm": 2, "reload-changed": 1, "api-refusing": 1, "api-hanging": 1,
           "api-503": 1, "kubectl-sigstop": 2, "healthz-500": 2, "port-stolen": 1}

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def http_get(port: int, timeout: float, path: str = "/") -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        if response.status != 200:
            raise http.client.HTTPException(f"HTTP {response.status}: {body[:80]}")
        return body
    finally:
        connection.close()


# --- the cluster, in its own process ------------------------------------------------------------

class ClusterProcess:
    def __init__(self, directory: str):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "soak_cluster.py"), "--dir", directory],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the soak cluster exited before it was ready")
        info = json.loads(line)
        self.kubeconfig = info["kubeconfig"]
        self.cache_dir = info["cache_dir"]
        self.api_port = info["api_port"]
        self.control = f"http://127.0.0.1:{info['control_port']}/_fake"

    def post(self, path: str, **query) -> dict:
        text = "&".join(f"{k}={v}" for k, v in query.items())
        request = urllib.request.Request(f"{self.control}/{path}" + (f"?{text}" if text else ""),
                                         data=b"", method="POST")
        try:
            with _OPENER.open(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read())

    def state(self) -> dict:
        with _OPENER.open(f"{self.control}/state", timeout=30) as response:
            return json.loads(response.read())

    def live_pods(self, prefix: str) -> list[str]:
        return [p["name"] for p in self.state()["pods"]
                if p["name"].startswith(prefix) and not p["terminating"]]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- clients --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Failure:
    forward: str
    start: float
    end: float
    error: str
    wrong_answer: bool = False


class RequestLoop:
    """GET / through one forward's local port, one request after another, until stopped; every
    failure is kept with its start and end. pause()/resume() bring it to rest for measurements."""

    def __init__(self, soak: "Soak", forward: ForwardDef, pause: float):
        self.soak = soak
        self.forward = forward
        self.gap = pause
        self.total = 0
        self.failures: list[Failure] = []
        self.slowest = 0.0
        self._stop = threading.Event()
        self._run = threading.Event()
        self._run.set()
        self._resting = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"loop-{forward.name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self._run.is_set():
                self._resting.set()
                self._run.wait()
                self._resting.clear()
                continue
            port = self.soak.port_of(self.forward.name)
            started = time.monotonic()
            try:
                answer = http_get(port, REQUEST_TIMEOUT)
            except (OSError, http.client.HTTPException) as error:
                self._record(Failure(self.forward.name, started, time.monotonic(),
                                     f"{type(error).__name__}: {error}"))
            else:
                ended = time.monotonic()
                self.slowest = max(self.slowest, ended - started)
                if not answer.startswith(self.forward.pod_prefix):
                    self._record(Failure(self.forward.name, started, ended,
                                         f"answered by {answer!r}", wrong_answer=True))
            self.total += 1
            self._stop.wait(self.gap)

    def _record(self, failure: Failure) -> None:
        self.failures.append(failure)
        self.soak.on_failure(failure)

    def pause(self) -> None:
        self._run.clear()

    def wait_resting(self, timeout: float) -> bool:
        return self._resting.wait(timeout)

    def resume(self) -> None:
        self._run.set()

    def stop(self) -> None:
        self._stop.set()
        self._run.set()
        self._thread.join(REQUEST_TIMEOUT + 5)


# --- disturbances: which forwards a fault touches, and when they serve again -------------------

@dataclasses.dataclass
class Episode:
    """One forward disturbed: from the first fault touching it until it serves again after the
    last one cleared."""
    forward: str
    start: float
    kinds: set
    active: int = 0
    cleared: Optional[float] = None
    ready_after: Optional[float] = None  # seconds from cleared
    serving_after: Optional[float] = None
    end: Optional[float] = None
    reject: set = dataclasses.field(default_factory=set)  # pods that must not answer after
    faults: list = dataclasses.field(default_factory=list)  # (kind, start) of each fault

    def may_fail_since(self) -> Optional[float]:
        """When the first fault of it that may fail requests began (None: none may)."""
        starts = [start for kind, start in self.faults if kind in MAY_FAIL]
        return min(starts) if starts else None


class Fault:
    def __init__(self, kind: str, forwards: list[str], detail: str = ""):
        self.kind = kind
        self.forwards = forwards
        self.detail = detail
        self.start = 0.0
        self.end: Optional[float] = None


# --- the soak ------------------------------------------------------------------------------------

class Soak:
    def __init__(self, minutes: float, seed: int, pause: float, max_concurrent: int,
                 workdir: str, kinds: Optional[list[str]] = None):
        self.kinds = kinds or list(WEIGHTS)
        self.lost_in_flight: list[Failure] = []
        self.minutes = minutes
        self.seed = seed
        self.rng = random.Random(seed)
        self.pause = pause
        self.max_concurrent = max_concurrent
        self.workdir = workdir
        self.t0 = time.monotonic()
        self.lock = threading.RLock()
        self.violations: list[str] = []
        self.episodes: dict[str, list[Episode]] = {f.name: [] for f in FORWARDS}
        self.faults: list[Fault] = []
        self.active_faults: list[Fault] = []
        self.counts: dict[str, int] = {}
        self.fault_threads: list[threading.Thread] = []
        self.recovery_threads: list[threading.Thread] = []
        self.loops: dict[str, RequestLoop] = {}
        self.ports: dict[str, list[int]] = {}  # forward -> [current, other]
        self.squatters: list[socket.socket] = []
        self.config_lock = threading.Lock()
        self.config_revision = 0
        self.request_timeouts: dict[str, str] = {}
        self.order = [f.name for f in FORWARDS]
        self.spare = False
        self.scheduling = threading.Event()
        self.done = threading.Event()
        self.samples: list[tuple[float, int, int]] = []
        self.max_children = 0
        self.orphans_seen: dict[int, float] = {}
        self.measurements: dict[str, tuple[int, int]] = {}
        self.cluster: Optional[ClusterProcess] = None
        self.pfd: Optional[PfdInstance] = None
        self.pfd_pid = 0
        self.marker = f"PFD_SOAK_RUN={uuid.uuid4().hex}"
        self.reserved: list[int] = []

    # --- small helpers --------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() - self.t0

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(f"t={self.now():.1f}s {text}")
        log(f"VIOLATION: {text}")

    def port_of(self, name: str) -> int:
        with self.lock:
            return self.ports[name][0]

    def forward_def(self, name: str) -> ForwardDef:
        return next(f for f in FORWARDS if f.name == name)

    def status(self) -> dict[str, dict]:
        """pfctl status, by forward; empty once pfd is gone (the sampler reports that)."""
        try:
            return {f["name"]: f for f in self.pfd.status().get("forwards", [])
                    if f["name"] in self.ports}  # not the reload storms' disabled extra
        except AssertionError:
            if self.pfd.process.poll() is None:
                raise
            return {}

    def on_failure(self, failure: Failure) -> None:
        with self.lock:
            open_kinds = sorted({k for e in self.episodes[failure.forward] if e.end is None
                                 for k in e.kinds})
        log(f"request failed: {failure.forward} [{failure.start - self.t0:.1f}s, "
            f"{failure.end - self.t0:.1f}s] {failure.error} (open faults: "
            f"{', '.join(open_kinds) or 'none'})")
        if failure.wrong_answer:
            self.violation(f"{failure.forward}: {failure.error}")

    # --- config ---------------------------------------------------------------------------------
    def config_text(self) -> str:
        forwards = []
        for name in self.order:
            f = self.forward_def(name)
            entry = {"name": f.name, "target": f.target,
                     "ports": [f"{self.ports[f.name][0]}:{f.remote}"]}
            if f.probe:
                entry["readiness"] = f.probe
            if f.hold_timeout:
                entry["holdTimeout"] = f.hold_timeout
            if f.name in self.request_timeouts:
                entry["requestTimeout"] = self.request_timeouts[f.name]
            forwards.append(entry)
        if self.spare:
            forwards.append({"name": "spare", "target": "deployment/web",
                             "ports": [f"{self.spare_port}:8080"], "enabled": False})
        self.config_revision += 1
        document = {
            "reloadOnChange": True,
            "defaults": {"kubectl": kubectl_path(), "kubeconfig": self.cluster.kubeconfig,
                         "backoff": BACKOFF, "requestTimeout": "5s"},
            "forwards": forwards,
        }
        # A YAML comment, then the document as JSON (which YAML reads): the comment alone is a
        # change on disk that changes no forward.
        return f"# soak {self.seed}, revision {self.config_revision}\n" + json.dumps(
            document, indent=2) + "\n"

    def write_config(self) -> None:
        self.pfd.write_config(self.config_text())

    # --- set up ---------------------------------------------------------------------------------
    def setup(self) -> None:
        self.cluster = ClusterProcess(os.path.join(self.workdir, "cluster"))
        ports = reserve_ports(2 * len(FORWARDS) + 1)
        self.reserved = ports
        for index, f in enumerate(FORWARDS):
            self.ports[f.name] = ports[2 * index:2 * index + 2]
        self.spare_port = ports[-1]
        env = {"KUBECACHEDIR": self.cluster.cache_dir, "KUBECONFIG": self.cluster.kubeconfig}
        env.update([self.marker.split("=", 1)])
        self.pfd = PfdInstance("", name="pfd-soak", extra_env=env,
                               directory=tempfile.mkdtemp(prefix="pfd-soak-", dir="/tmp"))
        # pfctl runs without the marker: only what pfd starts carries it.
        marker_name = self.marker.split("=", 1)[0]
        pfctl_env = {k: v for k, v in self.pfd.env.items() if k != marker_name}
        self.pfd.pfctl = functools.partial(PfdInstance.pfctl, self.pfd, env=pfctl_env)
        self.write_config()
        self.pfd.start()
        self.pfd_pid = self.pfd.process.pid
        for f in FORWARDS:
            self.pfd.wait_for_state(f.name, "READY", timeout=60)
        log(f"pfd pid {self.pfd_pid}: {len(FORWARDS)} forwards READY")
        for f in FORWARDS:
            self.loops[f.name] = RequestLoop(self, f, self.pause)
            self.loops[f.name].start()

    # --- episodes and recovery ------------------------------------------------------------------
    def open_episode(self, name: str) -> Optional[Episode]:
        episodes = self.episodes[name]
        if episodes and episodes[-1].end is None:
            return episodes[-1]
        return None

    def available(self, name: str) -> bool:
        """A forward may take a new fault while no episode of it is recovering, and while it
        has fewer than two faults at once."""
        episode = self.open_episode(name)
        return episode is None or (episode.cleared is None and episode.active < 2)

    def begin(self, fault: Fault) -> None:
        with self.lock:
            fault.start = time.monotonic()
            self.faults.append(fault)
            self.active_faults.append(fault)
            self.counts[fault.kind] = self.counts.get(fault.kind, 0) + 1
            for name in fault.forwards:
                episode = self.open_episode(name)
                if episode is None:
                    episode = Episode(name, fault.start, set())
                    self.episodes[name].append(episode)
                episode.kinds.add(fault.kind)
                episode.faults.append((fault.kind, fault.start))
                episode.active += 1
        log(f"fault {fault.kind} on {', '.join(fault.forwards)}"
            + (f" ({fault.detail})" if fault.detail else ""))

    def clear(self, fault: Fault, reject: Optional[set] = None) -> None:
        with self.lock:
            fault.end = time.monotonic()
            self.active_faults.remove(fault)
            for name in fault.forwards:
                episode = self.open_episode(name)
                episode.active -= 1
                episode.reject |= reject or set()
                if episode.active == 0:
                    episode.cleared = fault.end
                    thread = threading.Thread(target=self.recover, args=(episode,),
                                              name=f"recover-{name}", daemon=True)
                    self.recovery_threads.append(thread)
                    thread.start()

    def recover(self, episode: Episode) -> None:
        """READY (pfd's log, or status) and a request answered by an acceptable pod within
        RECOVERY_BOUND of the clear; then the episode ends."""
        name = episode.forward
        deadline = episode.cleared + RECOVERY_BOUND
        f = self.forward_def(name)
        kinds = "+".join(sorted(episode.kinds))
        ready_at = None
        mark = self.pfd.mark()
        try:
            if self.status()[name]["state"] == "FORWARD_STATE_READY":
                ready_at = time.monotonic()
            else:
                self.pfd.wait_for_serving(name, since=mark,
                                          timeout=max(deadline - time.monotonic(), 0.01))
                ready_at = time.monotonic()
        except AssertionError:
            pass
        serving_at, last_error = None, ""
        # After the bound: keep trying (the episode ends only when it serves), but it is late.
        give_up = deadline + 60
        while time.monotonic() < give_up and not self.done.is_set():
            started = time.monotonic()
            try:
                answer = http_get(self.port_of(name), max(min(deadline, give_up) - started, 1.0))
            except (OSError, http.client.HTTPException) as error:
                last_error = f"{type(error).__name__}: {error}"
                self.done.wait(0.05)  # a refused or reset attempt: try again at once
                continue
            if answer.startswith(f.pod_prefix) and answer not in episode.reject:
                serving_at = time.monotonic()
                break
            last_error = f"answered by {answer!r}"
            self.done.wait(0.05)
        if ready_at is None:  # late: find out when, for the figures
            try:
                self.pfd.wait_for_serving(name, since=mark, timeout=1)
                ready_at = time.monotonic()
            except AssertionError:
                pass
        with self.lock:
            episode.ready_after = None if ready_at is None else ready_at - episode.cleared
            episode.serving_after = None if serving_at is None else serving_at - episode.cleared
            episode.end = serving_at or time.monotonic()
        late = []
        if ready_at is None or ready_at > deadline:
            late.append("READY")
        if serving_at is None or serving_at > deadline:
            late.append(f"serving (last: {last_error})")
        if late:
            state = self.status().get(name, {})
            self.violation(f"{name}: not {' and '.join(late)} within {RECOVERY_BOUND:.0f}s "
                           f"after {kinds} cleared (ready after {episode.ready_after}, serving "
                           f"after {episode.serving_after}; now {state.get('state')}, "
                           f"{state.get('lastError')!r})")

    # --- faults ---------------------------------------------------------------------------------
    def run_fault(self, fault: Fault, body: Callable[[], Optional[set]]) -> None:
        self.begin(fault)

        def target() -> None:
            reject = None
            try:
                reject = body()
            except Exception as error:  # a fault that could not be applied is a soak bug
                self.violation(f"fault {fault.kind} failed: {type(error).__name__}: {error}")
            finally:
                self.clear(fault, reject)
        thread = threading.Thread(target=target, name=f"fault-{fault.kind}", daemon=True)
        self.fault_threads.append(thread)
        thread.start()

    def hold(self, low: float, high: float) -> None:
        """The fault's window: a random length, the soak's workload (not a synchronisation)."""
        self.done.wait(self.rng.uniform(low, high))

    def kubectl_pidfd(self, name: str) -> Optional[tuple[int, int]]:
        """(pid, pidfd) of the forward's kubectl, checked to be a port-forward of this run."""
        pid = int(self.status()[name].get("pid") or 0)
        if not pid:
            return None
        try:
            pidfd = os.pidfd_open(pid)
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
            with open(f"/proc/{pid}/environ", "rb") as environ:
                ours = self.marker.encode() in environ.read().split(b"\0")
        except OSError:
            return None
        if b"port-forward" not in argv or not ours:
            os.close(pidfd)
            return None
        return pid, pidfd

    def pick(self, candidates: list[str]) -> Optional[str]:
        candidates = [c for c in candidates if self.available(c)]
        return self.rng.choice(candidates) if candidates else None

    def try_fault(self, kind: str) -> bool:
        """Starts a fault of `kind` if it can run now; False if not."""
        rng = self.rng
        with self.lock:
            kinds_active = {f.kind for f in self.active_faults}
            all_names = [f.name for f in FORWARDS]
            if kind in ("api-refusing", "api-hanging", "api-503", "restart-all", "reload-storm",
                        "reload-changed", "port-stolen"):
                # One API outage at a time; restarts and config writes one at a time.
                exclusive = {"api-refusing", "api-hanging", "api-503"} if kind.startswith("api") \
                    else {"restart-all", "reload-storm", "reload-changed", "port-stolen"}
                if kinds_active & exclusive:
                    return False
            if kind in ("api-refusing", "api-hanging", "api-503", "restart-all",
                        "reload-storm") and not all(self.available(n) for n in all_names):
                return False

        if kind == "pod-deleted":
            name = self.pick([f.name for f in FORWARDS if f.deletable])
            if name is None:
                return False
            pod = self.status()[name].get("pod", "")
            if not pod or " " in pod:
                return False
            sharing = [n for n, s in self.status().items() if s.get("pod") == pod]
            if not all(self.available(n) for n in sharing):
                return False
            close = rng.random() < 0.5
            grace = rng.choice([0.5, 1.0, 2.0, 3.0])

            def body() -> set:
                result = self.cluster.post(f"pods/default/{pod}/delete",
                                           grace=grace, close_sessions=int(close))
                assert result["ok"], result
                # A StatefulSet's replacement takes the same name: only a Deployment's pod name
                # says that the answer came from the deleted pod.
                return {pod} if self.forward_def(name).workload else set()
            self.run_fault(Fault(kind, sharing, f"pod {pod}, grace {grace}s, session "
                                 f"{'closed' if close else 'kept'}"), body)
            return True

        if kind == "rollout":
            workload = rng.choice(["web", "single", "api", "shop", "cart"])
            touched = [f.name for f in FORWARDS if f.workload == workload]
            if not all(self.available(n) for n in touched):
                return False
            grace = rng.choice([2.0, 4.0, 8.0])

            def body() -> set:
                old = set(self.cluster.live_pods(f"{workload}-"))
                result = self.cluster.post(f"deployments/default/{workload}/rollout",
                                           grace=grace)
                assert result["ok"], result
                return old
            self.run_fault(Fault(kind, touched, f"deployment/{workload}, grace {grace}s"), body)
            return True

        if kind in ("kubectl-sigkill", "kubectl-sigstop"):
            name = self.pick(all_names)
            if name is None:
                return False
            found = self.kubectl_pidfd(name)
            if found is None:
                return False
            pid, pidfd = found
            # Forwards of one pod share its kubectl (docs/config.md, "One kubectl per pod"):
            # the fault is theirs too, serving or draining on it.
            touched = [n for n, s in self.status().items()
                       if int(s.get("pid") or 0) == pid
                       or any(int(d.get("pid") or 0) == pid for d in s.get("draining", []))]
            if name not in touched or not all(self.available(n) for n in touched):
                os.close(pidfd)
                return False
            window = (rng.uniform(1.0, 6.0),)

            def body() -> None:
                try:
                    if kind == "kubectl-sigkill":
                        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                        return None
                    signal.pidfd_send_signal(pidfd, signal.SIGSTOP)
                    self.done.wait(window[0])
                    try:
                        signal.pidfd_send_signal(pidfd, signal.SIGCONT)
                    except ProcessLookupError:
                        pass  # pfd replaced it (its probe failed) and it is gone
                    return None
                finally:
                    os.close(pidfd)
            detail = f"pid {pid}" + (f", {window[0]:.1f}s" if kind == "kubectl-sigstop" else "")
            self.run_fault(Fault(kind, touched, detail), body)
            return True

        if kind == "healthz-500":
            name = self.pick([f.name for f in FORWARDS if f.http_probe])
            if name is None:
                return False
            pod = self.status()[name].get("pod", "")
            if not pod or " " in pod:
                return False
            touched = [n for n, s in self.status().items()
                       if s.get("pod") == pod and self.forward_def(n).http_probe]
            if not all(self.available(n) for n in touched):
                return False
            window = rng.uniform(2.0, 6.0)

            def body() -> None:
                self.cluster.post(f"pods/default/{pod}/health", value="false")
                self.done.wait(window)
                self.cluster.post(f"pods/default/{pod}/health", value="true")  # may be gone
            self.run_fault(Fault(kind, touched, f"pod {pod}, {window:.1f}s"), body)
            return True

        if kind.startswith("api-"):
            window = rng.uniform(1.0, 6.0)
            down, up = {
                "api-refusing": (("api/down", {}), ("api/up", {})),
                "api-hanging": (("api/hang", {"value": "true"}), ("api/hang", {"value": "false"})),
                "api-503": (("api/unavailable", {"value": "true"}),
                            ("api/unavailable", {"value": "false"})),
            }[kind]

            def body() -> None:
                assert self.cluster.post(down[0], **down[1])["ok"]
                self.done.wait(window)
                assert self.cluster.post(up[0], **up[1])["ok"]
            self.run_fault(Fault(kind, all_names, f"{window:.1f}s"), body)
            return True

        if kind == "restart-all":
            def body() -> None:
                self.pfd.pfctl_ok("restart", "--all")
            self.run_fault(Fault(kind, all_names), body)
            return True

        if kind == "reload-storm":
            # Harmless changes: no running forward's spec changes, so none may even restart.
            writes = rng.randint(3, 6)
            changes = [rng.choice(["comment", "order", "spare"]) for _ in range(writes)]
            gaps = [rng.uniform(0.05, 0.3) for _ in range(writes)]
            orders = [rng.sample(all_names, len(all_names)) for _ in range(writes)]

            def body() -> None:
                mark = self.pfd.mark()
                for change, gap, order in zip(changes, gaps, orders):
                    with self.config_lock:
                        if change == "order":
                            self.order = order
                        elif change == "spare":
                            self.spare = not self.spare
                        self.write_config()
                    self.done.wait(gap)  # the storm's pace
                with self.config_lock:
                    self.pfd.pfctl_ok("reload")
                restarted = [line for line in self.pfd.log.lines()[mark:]
                             if re.search(r"reloaded .*\bchanged \[[^\]]", line)]
                if restarted:
                    self.violation(f"a reload storm of harmless changes restarted forwards: "
                                   f"{restarted[:3]}")
            self.run_fault(Fault(kind, all_names, ", ".join(changes)), body)
            return True

        if kind == "reload-changed":
            # One forward's spec changes (requestTimeout): pfd replaces its kubectl, its held
            # port stays.
            name = self.pick(all_names)
            if name is None:
                return False

            def body() -> None:
                with self.config_lock:
                    value = self.request_timeouts.get(name)
                    self.request_timeouts[name] = "6s" if value != "6s" else "5s"
                    self.write_config()
                    self.pfd.pfctl_ok("reload")
            self.run_fault(Fault(kind, [name], "requestTimeout"), body)
            return True

        if kind == "port-stolen":
            name = self.pick(all_names)
            if name is None:
                return False
            window = rng.uniform(2.0, 5.0)

            def body() -> None:
                with self.lock:
                    old, new = self.ports[name]
                squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                # pfd's own listener there left connections in TIME_WAIT; a listener may share.
                squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                squatter.bind(("127.0.0.1", new))
                squatter.listen(16)  # never accepts: a client's connection waits, then fails
                mark = self.pfd.mark()
                try:
                    with self.config_lock:
                        with self.lock:
                            self.ports[name] = [new, old]
                        self.write_config()
                        self.pfd.pfctl_ok("reload")
                    backoff = self.pfd.wait_for_state(name, "BACKOFF", since=mark, timeout=30)
                    if str(new) not in backoff["reason"] or "in use" not in backoff["reason"]:
                        self.violation(f"{name}: port {new} taken, but BACKOFF says "
                                       f"{backoff['reason']!r}")
                    self.done.wait(window)
                finally:
                    squatter.close()
            self.run_fault(Fault(kind, [name], f"{window:.1f}s"), body)
            return True
        raise ValueError(kind)

    def scheduler(self, until: float) -> None:
        kinds = self.kinds
        weights = [WEIGHTS[k] for k in kinds]
        while time.monotonic() < until and not self.done.is_set():
            self.scheduling.wait()
            self.done.wait(self.rng.uniform(0.5, 3.0))  # the gap between faults: workload
            if time.monotonic() >= until or not self.scheduling.is_set():
                continue
            with self.lock:
                busy = len(self.active_faults) >= self.max_concurrent
            if busy:
                continue
            kind = self.rng.choices(kinds, weights)[0]
            try:
                self.try_fault(kind)
            except (AssertionError, OSError) as error:
                log(f"could not start {kind}: {error}")
            except Exception as error:  # a soak bug: say so, and go on injecting faults
                self.violation(f"the scheduler failed to start {kind}: "
                               f"{type(error).__name__}: {error}")

    # --- watching pfd ---------------------------------------------------------------------------
    def descendants_ok(self) -> None:
        """Every process of this run (the marker in its environment) is pfd or under pfd; an
        orphan may live ORPHAN_GRACE seconds."""
        wanted = self.marker.encode()
        parents: dict[int, int] = {}
        ours: list[int] = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                parents[pid] = int(fields[1])
                if fields[0] == "Z":
                    continue
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    if wanted in environ.read().split(b"\0"):
                        ours.append(pid)
            except (OSError, IndexError, ValueError):
                continue
        children = 0
        now = time.monotonic()
        for pid in ours:
            if pid == self.pfd_pid:
                continue
            chain, seen = pid, 0
            while chain not in (0, 1, self.pfd_pid) and seen < 64:
                chain = parents.get(chain, 0)
                seen += 1
            if chain == self.pfd_pid:
                children += 1
                continue
            first = self.orphans_seen.setdefault(pid, now)
            if now - first > ORPHAN_GRACE:
                self.violation(f"pid {pid} ({self.describe(pid)}) is not under pfd "
                               f"for {now - first:.0f}s")
                self.orphans_seen[pid] = float("inf")  # reported once
        self.max_children = max(self.max_children, children)
        for pid in [p for p in self.orphans_seen if p not in ours]:
            del self.orphans_seen[pid]

    def describe(self, pid: int) -> str:
        """State, parent and command line of a process (for a report, before it is killed)."""
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return f"state {fields[0]}, parent {fields[1]}, {self.cmdline(pid)}"
        except (OSError, IndexError):
            return "gone"

    @staticmethod
    def cmdline(pid: int) -> str:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                return b" ".join(cmdline.read().split(b"\0")[:3]).decode(errors="replace")
        except OSError:
            return "?"

    def fds_and_rss(self) -> tuple[int, int]:
        fds = len(os.listdir(f"/proc/{self.pfd_pid}/fd"))
        with open(f"/proc/{self.pfd_pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        return fds, rss

    def sampler(self) -> None:
        while not self.done.wait(1.0):  # sampling period: workload, not a synchronisation
            if self.pfd.process.poll() is not None:
                self.violation(f"pfd exited with {self.pfd.process.returncode}")
                self.done.set()
                return
            try:
                fds, rss = self.fds_and_rss()
                self.samples.append((self.now(), fds, rss))
                self.descendants_ok()
            except OSError as error:
                self.violation(f"cannot read pfd's /proc entry: {error}")

    # --- rest points ----------------------------------------------------------------------------
    def settle(self, timeout: float = 90) -> None:
        """Stops new faults and waits for every fault to clear and every forward to recover."""
        self.scheduling.clear()
        deadline = time.monotonic() + timeout
        for thread in list(self.fault_threads) + list(self.recovery_threads):
            thread.join(max(deadline - time.monotonic(), 0.1))
        for thread in list(self.recovery_threads):
            thread.join(max(deadline - time.monotonic(), 0.1))

    def at_rest(self, label: str) -> None:
        """pfd's fds and RSS with no fault, no request and no connection: every forward READY,
        no switch, nothing draining or held. The soak's clients pause meanwhile."""
        for loop in self.loops.values():
            loop.pause()
        for loop in self.loops.values():
            loop.wait_resting(REQUEST_TIMEOUT + 5)
        deadline = time.monotonic() + 60
        while True:
            mark = self.pfd.mark()
            forwards = self.status()
            busy = [n for n, s in forwards.items() if n in self.loops and (
                    s["state"] != "FORWARD_STATE_READY" or s.get("switch") or s.get("draining")
                    or int(s["connections"]["active"]) or int(s["connections"]["held"]))]
            if not busy:
                break
            if time.monotonic() > deadline:
                self.violation(f"not at rest within 60s ({label}): {busy}")
                break
            try:  # re-check after pfd's next log line (or a second)
                self.pfd.wait_for_log(".", since=mark, timeout=1)
            except AssertionError:
                pass
        self.measurements[label] = self.fds_and_rss()
        log(f"at rest ({label}): pfd has {self.measurements[label][0]} fds, RSS "
            f"{self.measurements[label][1]} kB")
        for loop in self.loops.values():
            loop.resume()

    # --- the run --------------------------------------------------------------------------------
    def run(self) -> bool:
        log(f"seed {self.seed}: {self.minutes} minutes, {len(FORWARDS)} forwards "
            f"(replay: soak.py --minutes {self.minutes} --seed {self.seed})")
        try:
            self._run()
        except Exception as error:
            self.violation(f"the soak stopped: {type(error).__name__}: {error}")
        finally:
            self.teardown()
        self.summary()
        return not self.violations

    def _run(self) -> None:
        self.setup()
        sampler = threading.Thread(target=self.sampler, name="sampler", daemon=True)
        sampler.start()
        total = self.minutes * 60
        warmup = min(max(30.0, total * 0.1), 300.0)
        self.scheduling.set()
        faults_from = time.monotonic()
        scheduler = threading.Thread(target=self.scheduler,
                                     args=(faults_from + total,), daemon=True)
        scheduler.start()
        self.done.wait(warmup)  # the warm-up: faults run; a duration of the workload
        self.settle()
        self.at_rest("after warm-up")
        self.scheduling.set()
        scheduler.join(total + 120)
        if scheduler.is_alive() or time.monotonic() < faults_from + total - 5:
            self.violation("the fault scheduler stopped before the end of the run")
        self.settle()
        self.at_rest("end")
        self.final_checks()

    def final_checks(self) -> None:
        if self.pfd.process.poll() is not None or self.pfd.process.pid != self.pfd_pid:
            self.violation("pfd did not run all along")
        (fds0, rss0), (fds1, rss1) = self.measurements["after warm-up"], self.measurements["end"]
        if abs(fds1 - fds0) > FLAT_TOLERANCE * fds0:
            self.violation(f"pfd's fds went from {fds0} to {fds1} (more than 10 %)")
        if abs(rss1 - rss0) > FLAT_TOLERANCE * rss0:
            self.violation(f"pfd's RSS went from {rss0} kB to {rss1} kB (more than 10 %)")
        self.attribute_failures()

    def attribute_failures(self) -> None:
        self.unexplained: list[Failure] = []
        self.failed_by_kind: dict[str, int] = {}
        for loop in self.loops.values():
            for failure in loop.failures:
                if failure.wrong_answer:
                    continue  # a violation already
                episodes = [e for e in self.episodes[failure.forward]
                            if failure.start <= (e.end or float("inf")) and failure.end >= e.start]
                # Explained by a fault that may fail requests, from its start until the
                # forward served again.
                allowed = [e for e in episodes if e.may_fail_since() is not None
                           and failure.end >= e.may_fail_since()]
                if allowed:
                    key = "+".join(sorted(allowed[0].kinds))
                    self.failed_by_kind[key] = self.failed_by_kind.get(key, 0) + 1
                    continue
                if failure.error.startswith("IncompleteRead") and any(
                        kind in LOST_IN_FLIGHT and start <= failure.end
                        for e in episodes for kind, start in e.faults):
                    self.lost_in_flight.append(failure)
                    continue
                self.unexplained.append(failure)
                where = ("during " + "+".join(sorted(episodes[0].kinds))) if episodes \
                    else "outside any fault"
                self.violation(f"{failure.forward}: request failed {where} "
                               f"[{failure.start - self.t0:.1f}s, {failure.end - self.t0:.1f}s]: "
                               f"{failure.error}")

    def teardown(self) -> None:
        self.done.set()
        for loop in self.loops.values():
            loop.stop()
        if self.pfd is not None:
            try:
                code = self.pfd.stop()
                if code != 0:
                    self.violation(f"pfd exited with {code} on SIGTERM")
            except AssertionError as error:
                self.violation(str(error))
            survivors = self.pfd.cleanup()
            wanted = self.marker.encode()
            for entry in filter(str.isdigit, os.listdir("/proc")):
                # The pidfd first: then the environment read is that process's, and the wait and
                # the kill cannot reach another process that got its pid since.
                try:
                    fd = os.pidfd_open(int(entry))
                except OSError:
                    continue
                try:
                    try:
                        with open(f"/proc/{entry}/environ", "rb") as environ:
                            if wanted not in environ.read().split(b"\0"):
                                continue
                    except OSError:
                        continue
                    if not wait_for_pidfd(fd, 5):
                        survivors.append(int(entry))
                        log(f"left after pfd: pid {entry}: {self.describe(int(entry))}")
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
                finally:
                    os.close(fd)
            if survivors:
                self.violation(f"processes pfd started outlived it: {sorted(set(survivors))}")
        if self.cluster is not None:
            self.cluster.stop()
        release_ports(self.reserved)

    def save_log(self) -> str:
        """pfd's whole log (debug level), kept in the run's directory after a failure."""
        path = os.path.join(self.workdir, "pfd.log")
        with open(path, "w") as out:
            out.write("\n".join(self.pfd.log.lines() if self.pfd and self.pfd.log else []) + "\n")
        return path

    # --- summary --------------------------------------------------------------------------------
    def summary(self) -> None:
        lines = [f"soak summary: seed {self.seed}, {self.minutes} minutes of faults, "
                 f"{len(FORWARDS)} forwards, pfd pid {self.pfd_pid}"]
        lines.append("faults injected: " + ", ".join(
            f"{k} {self.counts[k]}" for k in sorted(self.counts)) + f" ({len(self.faults)} total)")
        total = sum(loop.total for loop in self.loops.values())
        failed = sum(len(loop.failures) for loop in self.loops.values())
        lines.append(f"requests: {total} total, {failed} failed")
        for key in sorted(getattr(self, "failed_by_kind", {})):
            lines.append(f"  failed during {key}: {self.failed_by_kind[key]}")
        unexplained = getattr(self, "unexplained", [])
        lines.append(f"  responses in progress lost with their SIGKILLed kubectl or deleted pod "
                     f"(the app had answered: not replayable): {len(self.lost_in_flight)}")
        lines.append(f"  failed outside a window that may fail requests: {len(unexplained)}")
        slowest = max((loop.slowest for loop in self.loops.values()), default=0)
        lines.append(f"slowest answered request: {slowest:.2f}s")
        worst: dict[str, tuple[float, float, int]] = {}
        for episodes in self.episodes.values():
            for e in episodes:
                key = "+".join(sorted(e.kinds))
                ready, serving, count = worst.get(key, (0.0, 0.0, 0))
                worst[key] = (max(ready, e.ready_after if e.ready_after is not None else 99),
                              max(serving, e.serving_after if e.serving_after is not None
                                  else 99), count + 1)
        lines.append("after a fault cleared, worst time to READY / to serving (episodes):")
        for key in sorted(worst):
            ready, serving, count = worst[key]
            lines.append(f"  {key}: {ready:.2f}s / {serving:.2f}s ({count})")
        all_worst = max((w[1] for w in worst.values()), default=0)
        lines.append(f"worst time to serving after any fault cleared: {all_worst:.2f}s")
        if self.measurements:
            for label, (fds, rss) in self.measurements.items():
                lines.append(f"pfd at rest {label}: {fds} fds, RSS {rss / 1024:.1f} MB")
        if self.samples:
            lines.append(f"pfd while running: fds {min(s[1] for s in self.samples)}-"
                         f"{max(s[1] for s in self.samples)}, RSS "
                         f"{min(s[2] for s in self.samples) / 1024:.1f}-"
                         f"{max(s[2] for s in self.samples) / 1024:.1f} MB; at most "
                         f"{self.max_children} processes under pfd")
        lines.append(f"violations: {len(self.violations)}")
        lines += [f"  {v}" for v in self.violations[:50]]
        print("\n".join(lines), flush=True)
        self.summary_text = "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long faults run")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--pause", type=float, default=0.1,
                        help="seconds between a forward's requests (default 0.1)")
    parser.add_argument("--max-concurrent", type=int, default=3,
                        help="faults at once, at most (default 3)")
    parser.add_argument("--faults", default="",
                        help="only these fault kinds, comma-separated (default: all): "
                             + ", ".join(WEIGHTS))
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.faults.split(",") if k.strip()]
    unknown = set(kinds) - set(WEIGHTS)
    if unknown:
        parser.error(f"unknown fault kinds: {', '.join(sorted(unknown))}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    workdir = tempfile.mkdtemp(prefix="soak-", dir="/tmp")
    soak = Soak(args.minutes, seed, args.pause, args.max_concurrent, workdir, kinds)
    ok = soak.run()
    if not ok:
        log(f"FAILED (seed {seed}); pfd's log: {soak.save_log()}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
