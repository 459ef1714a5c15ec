#!/usr/bin/python3
"""kubectl's own floor: the time from exec to its `Forwarding from` line, against the fake API
server (tests/e2e/fakekube) on 127.0.0.1. No supervisor can bring a forward back faster than
kubectl starts, so this is what bench/pod_recovery.py compares pfd with.

    /usr/bin/python3 bench/kubectl_floor.py                  # the default kubectl, 20 runs
    /usr/bin/python3 bench/kubectl_floor.py --versions default,1.27,1.33 --runs 20

Each kubectl is measured for `deployment/web` (kubectl finds the pod itself, as a user's
`kubectl port-forward deploy/web` does) and for `pod/NAME` (what pfd runs once it has picked the
pod), after one unmeasured warm-up run that fills kubectl's discovery cache, as every later
restart finds it.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

from fakekube import FakeCluster, kubectl_path  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p50 of 20 values is the 10th smallest, p95 the 19th)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def time_to_forwarding(cluster: FakeCluster, kubectl: str, target: str, remote: str) -> float:
    """Seconds from starting kubectl to reading its `Forwarding from` line; kubectl is stopped
    (SIGINT, which it handles) before this returns."""
    argv = [kubectl, "port-forward", target, f":{remote}", "--address", "127.0.0.1"]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=cluster.kubectl_env(), text=True)
    try:
        line = process.stdout.readline()
        elapsed = time.monotonic() - started
        if not line.startswith("Forwarding from"):
            process.kill()
            _, errors = process.communicate(timeout=10)
            raise RuntimeError(f"{' '.join(argv)}: no 'Forwarding from' line; it said: "
                               f"{line.strip()} {errors.strip()}")
        return elapsed
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()


def measure(cluster: FakeCluster, kubectl: str, target: str, remote: str, runs: int,
            warmup: int = 1) -> list[float]:
    """Milliseconds to `Forwarding from`, `runs` times after `warmup` unmeasured runs."""
    samples = []
    for index in range(warmup + runs):
        elapsed = time_to_forwarding(cluster, kubectl, target, remote)
        if index >= warmup:
            samples.append(elapsed * 1000)
    return samples


def demo_cluster(directory: str | None = None) -> FakeCluster:
    """One deployment, web, with one pod whose container port 8080 is named http."""
    cluster = FakeCluster(directory)
    cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    return cluster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="measured runs per row (20)")
    parser.add_argument("--versions", default="default",
                        help="comma-separated: default (kubectl on PATH), 1.27 ... 1.33, or paths")
    args = parser.parse_args()

    cluster = demo_cluster()
    try:
        (pod,) = cluster.pod_names("deployment/web")
        print(f"kubectl: exec -> 'Forwarding from' against the fake API server, {args.runs} runs "
              f"per row after 1 warm-up (ms)")
        print(f"{'kubectl':<10} {'target':<32} {'p50':>7} {'p95':>7} {'min':>7} {'max':>7}")
        for version in args.versions.split(","):
            kubectl = kubectl_path(version)
            for target in ("deployment/web", f"pod/{pod}"):
                samples = measure(cluster, kubectl, target, "8080", args.runs)
                print(f"{version:<10} {target:<32} {percentile(samples, 0.5):7.0f} "
                      f"{percentile(samples, 0.95):7.0f} {min(samples):7.0f} {max(samples):7.0f}",
                      flush=True)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
