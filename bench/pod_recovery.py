#!/usr/bin/python3
"""Pod recovery: from the call that deletes a pod to the first successful request through the
local port, for pfd and, side by side in the same run against the same cluster, for the usual
shell loop `while true; do kubectl port-forward ...; sleep 1; done` (run as a real bash process).

    PFD_BIN=build/daemon/pfd PFCTL_BIN=build/client/pfctl /usr/bin/python3 bench/pod_recovery.py

The fake cluster (tests/e2e/fakekube) has one deployment, web (--replicas, 1 by default, so both
forwards use the same pod and for a moment after its deletion no pod runs, until the ReplicaSet's
replacement does). Per deletion: both ports answer and pfd's forward has been READY for --settle
seconds; then the pods serving the two ports are deleted (one call when they share a pod) and one
client thread per local port polls GET / (1 s timeout, --poll between attempts) until a pod other
than the deleted one answers. Two deletion modes: the session kept open (what real clusters do:
kubectl notices only when the next connection fails; pfd also watches the pods) and the session
closed by the server (kubectl ends at once). pfd runs with the default backoff and no readiness
probe, as a user's config would have it. A port that does not recover within --deadline seconds
counts as that many seconds and is reported. It also reports how many client requests failed
per deletion (refused, reset or timed out) before a live pod answered, for each forward.

The comparison is with kubectl's own floor, measured in the same run (bench/kubectl_floor.py):
the target is pfd's p50 within the floor's p50 + 50 ms, and no failed request through pfd.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))
sys.path.insert(0, BENCH)

from fakekube import FakeCluster, kubectl_path  # noqa: E402
from kubectl_floor import measure, percentile  # noqa: E402
from pfd_harness import PfdInstance  # noqa: E402
from port_allocator import reserve_ports  # noqa: E402

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Serving again: a transition to READY, or a make-before-break switch (which never leaves READY).
READY_LINE = r"^(?P<time>\S+ \S+) \w+ +web: (\w+ -> READY: |switched from pod )"


def get(port: int, timeout: float = 1.0) -> str:
    with _OPENER.open(f"http://127.0.0.1:{port}/", timeout=timeout) as response:
        return response.read().decode()


def first_answer_after(port: int, start: float, reject: set[str], poll: float,
                       deadline: float) -> tuple[float | None, int]:
    """Seconds from `start` to the first GET / through `port` answered by a pod not in `reject`
    (None if none did by `deadline`, monotonic), and how many requests failed on the way (refused,
    reset, timed out: what a client sees as an error; an answer from a rejected pod is not one)."""
    failed = 0
    while time.monotonic() < deadline:
        try:
            if get(port) not in reject:
                return time.monotonic() - start, failed
        except (OSError, http.client.HTTPException):  # refused, reset, or cut mid-answer
            failed += 1
        time.sleep(poll)
    return None, failed


def serving_pods(ports: list[int], timeout: float) -> list[str]:
    """Polls until every port answers; returns the pod behind each."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return [get(port) for port in ports]
        except (OSError, http.client.HTTPException):  # refused, reset, or cut mid-answer
            if time.monotonic() > deadline:
                raise TimeoutError(f"ports {ports} did not all answer within {timeout}s")
            time.sleep(0.02)


def log_time(text: str) -> float:
    """pfd's log timestamp ("2026-11-24 20:47:18.024", local time) as seconds since the epoch."""
    seconds, _, millis = text.partition(".")
    return time.mktime(time.strptime(seconds, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000


def pfd_phases(lines: list[str], wall_start: float) -> dict[str, float]:
    """From pfd's log after a deletion, in ms since it: when pfd reacted (its pod watch saw the
    pod terminating, or kubectl reported the loss), when the new kubectl started (pfd had picked
    the new pod), when it served again (READY, or switched to the new pod)."""
    found: dict[str, float] = {}
    for line in lines:
        stamp = re.match(r"^(\S+ \S+) ", line)
        if not stamp:
            continue
        at = (log_time(stamp[1]) - wall_start) * 1000
        if "pfd_left_ready" not in found and re.search(
                r"\bweb: (READY -> |pod \S+ is terminating|pod \S+ is gone)", line):
            found["pfd_left_ready"] = at
        elif re.search(r"\bweb: started pid ", line):
            found["pfd_spawned"] = at
        elif re.search(READY_LINE, line):
            found["pfd_ready"] = at
            break
    return found


class QuietPfd(PfdInstance):
    """pfd at info level: at debug it would log every `Handling connection` of the polling."""

    def command(self, *extra: str, log_level: str = "info") -> list[str]:
        return super().command(*extra, log_level="info")


def start_kubectl_loop(cluster: FakeCluster, kubectl: str, port: int) -> subprocess.Popen:
    script = (f"while true; do {kubectl} port-forward deployment/web {port}:8080 "
              f"--address 127.0.0.1 > /dev/null 2>&1; sleep 1; done")
    # Its own process group, so that stopping it by its PID also stops the kubectl it runs.
    return subprocess.Popen(["/bin/bash", "-c", script], env=cluster.kubectl_env(),
                            stdin=subprocess.DEVNULL, start_new_session=True)


def stop_kubectl_loop(loop: subprocess.Popen) -> None:
    try:
        os.killpg(loop.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        loop.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(loop.pid, signal.SIGKILL)
        loop.wait()


def run_mode(pfd: PfdInstance, cluster: FakeCluster, ports: dict[str, int],
             close_sessions: bool, args: argparse.Namespace) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"pfd": [], "loop": [], "timeouts_pfd": [],
                                       "timeouts_loop": [], "failed_pfd": [], "failed_loop": []}
    for index in range(args.deletions):
        serving_pods(list(ports.values()), args.deadline)
        time.sleep(args.settle)
        pods = serving_pods(list(ports.values()), args.deadline)
        doomed = list(dict.fromkeys(pods))
        if index % 2:
            doomed.reverse()  # when two pods go, neither forward is always the second
        timings: dict[str, tuple[float | None, int]] = {}
        mark = pfd.mark()
        wall_start = time.time()
        start = time.monotonic()
        for pod in doomed:
            cluster.delete_pod(pod, close_sessions=close_sessions)
        deadline = start + args.deadline

        def client(key: str) -> None:
            timings[key] = first_answer_after(ports[key], start, set(doomed), args.poll, deadline)

        threads = [threading.Thread(target=client, args=(key,)) for key in ports]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for key, (elapsed, failed) in timings.items():
            results[f"failed_{key}"].append(failed)
            if elapsed is None:
                results[f"timeouts_{key}"].append(index)
                elapsed = args.deadline
            results[key].append(elapsed * 1000)
        phases = pfd_phases(pfd.log.lines()[mark:], wall_start)
        for key, value in phases.items():
            results.setdefault(key, []).append(value)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return results


def row(mode: str, who: str, samples: list[float]) -> str:
    if not samples:
        return f"{mode:<16} {who:<30} {'-':>7}"
    return (f"{mode:<16} {who:<30} {percentile(samples, 0.5):7.0f} "
            f"{percentile(samples, 0.95):7.0f} {min(samples):7.0f} {max(samples):7.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deletions", type=int, default=20, help="per mode (20)")
    parser.add_argument("--modes", default="kept,closed",
                        help="kept (session left open), closed (session cut), or both")
    parser.add_argument("--replicas", type=int, default=1, help="pods of deployment/web (1)")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds both forwards serve before the next deletion (2)")
    parser.add_argument("--deadline", type=float, default=60.0,
                        help="seconds a port gets to recover after a deletion (60)")
    parser.add_argument("--poll", type=float, default=0.01, help="client poll interval, s")
    parser.add_argument("--kubectl", default=None, help="default, 1.27 ... 1.33, or a path")
    parser.add_argument("--json", help="also write the samples here")
    args = parser.parse_args()
    for name, relative in (("PFD_BIN", "daemon/pfd"), ("PFCTL_BIN", "client/pfctl")):
        os.environ.setdefault(name, os.path.join(REPO, "build", relative))
    kubectl = kubectl_path(args.kubectl)

    cluster = FakeCluster()
    cluster.add_deployment("web", replicas=args.replicas, ports={"http": 8080})
    pfd_port, loop_port = reserve_ports(2)
    config = json.dumps({"forwards": [{
        "name": "web", "target": "deployment/web", "ports": [f"{pfd_port}:8080"],
        "kubectl": kubectl, "kubeconfig": cluster.kubeconfig_path}]}, indent=2)
    pfd = QuietPfd(config, name="pfd-bench", extra_env={"KUBECACHEDIR": cluster.cache_dir})
    loop = None
    results: dict[str, dict[str, list[float]]] = {}
    try:
        floor = measure(cluster, kubectl, "deployment/web", "8080", 20)
        pfd.start()
        loop = start_kubectl_loop(cluster, kubectl, loop_port)
        for mode in args.modes.split(","):
            results[mode] = run_mode(pfd, cluster, {"pfd": pfd_port, "loop": loop_port},
                                     mode == "closed", args)
        pfd_restarts = pfd.forward("web")["restarts"]
    finally:
        if loop is not None:
            stop_kubectl_loop(loop)
        survivors = pfd.cleanup() if pfd.process else []
        cluster.stop()
    if survivors:
        print(f"warning: pfd's children outlived it: {survivors}", file=sys.stderr)

    print(f"pod deleted -> first successful GET through the local port (ms); {args.deletions} "
          f"deletions per mode; {args.replicas} replica(s); kubectl {kubectl}")
    print(f"{'mode':<16} {'forward':<30} {'p50':>7} {'p95':>7} {'min':>7} {'max':>7}")
    labels = {"kept": "session kept", "closed": "session closed"}
    for mode, samples in results.items():
        label = labels.get(mode, mode)
        print(row(label, "pfd: deletion -> noticed", samples.get("pfd_left_ready", [])))
        print(row(label, "pfd: deletion -> new kubectl", samples.get("pfd_spawned", [])))
        print(row(label, "pfd: deletion -> serving (log)", samples.get("pfd_ready", [])))
        print(row(label, "pfd: first good request", samples["pfd"]))
        print(row(label, "kubectl loop (sleep 1)", samples["loop"]))
    print(row("kubectl floor", "exec -> Forwarding from", floor))
    print(f"pfd restarted its kubectl {pfd_restarts} times")
    print(f"\nfailed client requests per deletion (GET /, 1 s timeout, {args.poll * 1000:.0f} ms "
          f"between attempts, until a live pod answered)")
    print(f"{'mode':<16} {'forward':<30} {'p50':>7} {'p95':>7} {'min':>7} {'max':>7}")
    for mode, samples in results.items():
        label = labels.get(mode, mode)
        print(row(label, "pfd", samples["failed_pfd"]))
        print(row(label, "kubectl loop (sleep 1)", samples["failed_loop"]))
    for mode, samples in results.items():
        for key in ("pfd", "loop"):
            if samples[f"timeouts_{key}"]:
                print(f"{labels.get(mode, mode)}: {key} did not recover within {args.deadline:.0f}"
                      f" s after deletions {samples[f'timeouts_{key}']} (counted as that)")
    target = percentile(floor, 0.5) + 50
    for mode, samples in results.items():
        p50 = percentile(samples["pfd"], 0.5)
        verdict = "met" if p50 <= target else f"NOT met, by {p50 - target:.0f} ms"
        print(f"target ({labels.get(mode, mode)}): pfd p50 {p50:.0f} ms <= kubectl floor p50 + "
              f"50 ms = {target:.0f} ms: {verdict}")
    for mode, samples in results.items():
        failed = sum(samples["failed_pfd"])
        print(f"target ({labels.get(mode, mode)}): 0 failed requests through pfd: "
              f"{'met' if failed == 0 else f'NOT met, {failed} failed'}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"floor": floor, "modes": results, "args": vars(args)}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
