#!/usr/bin/python3
"""Cluster outages with many forwards: the API server refuses connections, then accepts them and
never answers, and pfd's forwards (all of one context) must come back together, fast, without a
kubectl per forward per retry while the server is away.

    PFD_BIN=build/daemon/pfd PFCTL_BIN=build/client/pfctl /usr/bin/python3 bench/cluster_outage.py

The fake cluster (tests/e2e/fakekube) has --deployments deployments of one replica; --forwards
forwards are spread over them, all in one context, with held ports and pfd's default backoff. Per
round: every forward READY and serving; then the outage (refused: the port closes and every session
is cut; hung: the server reads requests and never answers, and `pfctl restart --all` makes every
forward need it), held for its length; then the server comes back and one client per forward
sends GET / at once (held by pfd until a kubectl serves it). Reported per outage: kubectl processes
started while the server was away (a wrapper on `kubectl:` logs each start), and the time from
the server's return to the last forward READY (pfd's log) and to the last GET answered.
Rounds repeat each outage with a different length (the last wave of numbers held for one isolated
fault and fell apart on the next), so a figure is the worst round's.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))

from fakekube import (FakeCluster, counted_kubectl_runs, kubectl_path,  # noqa: E402
                      write_counting_kubectl)
from pfd_harness import PfdInstance  # noqa: E402
from port_allocator import reserve_ports  # noqa: E402

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")


class QuietPfd(PfdInstance):
    """At info level: 200 kubectl children's debug lines would measure pfd's logging."""

    def command(self, *extra: str, log_level: str = "") -> list[str]:
        return super().command(*extra, log_level=log_level or "info")


def log_time(line: str) -> float:
    match = LOG_TIME.match(line)
    return datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S.%f").timestamp()


def get(port: int, timeout: float) -> str:
    with _OPENER.open(f"http://127.0.0.1:{port}/", timeout=timeout) as response:
        return response.read().decode()


def all_answer(ports: list[int], timeout: float) -> tuple[float, int]:
    """One GET per port at once, each retried until it answers; the time the last one answered,
    and how many requests failed on the way (what a client would have seen as an error)."""
    answered = [0.0] * len(ports)
    failed = [0] * len(ports)

    def one(index: int) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                get(ports[index], timeout)
                answered[index] = time.time()
                return
            except OSError:
                failed[index] += 1
                time.sleep(0.05)
        raise SystemExit(f"port {ports[index]} did not answer within {timeout} s")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(ports))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(answered), sum(failed)


def wait_all_ready(pfd: PfdInstance, names: list[str], since: int, timeout: float) -> float:
    last = 0.0
    for name in names:
        match = pfd.wait_for_state(name, "READY", since=since, timeout=timeout)
        last = max(last, log_time(match.string))
    return last


def one_outage(kind: str, seconds: float, cluster, pfd, names, ports, counted) -> dict:
    mark = pfd.mark()
    down_at = time.time()
    if kind == "refused":
        cluster.api_down()
    else:
        cluster.api_hang(True)
        pfd.pfctl_ok("restart", "--all")
    pfd.wait_for_log(r"API server unreachable \(context fake-a\)", since=mark, timeout=120)
    remaining = down_at + seconds - time.time()
    if remaining > 0:
        time.sleep(remaining)  # the outage's length: a duration, not a synchronisation
    back = pfd.mark()
    up_at = time.time()
    if kind == "refused":
        cluster.api_up()
    else:
        cluster.api_hang(False)
    served, failed = all_answer(ports, timeout=60)
    ready = wait_all_ready(pfd, names, back, timeout=120)
    return {"kind": kind, "seconds": seconds,
            "kubectl_during": len(counted_kubectl_runs(counted, down_at, up_at)),
            "ready_after": ready - up_at, "serving_after": served - up_at, "failed": failed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forwards", type=int, default=200)
    parser.add_argument("--deployments", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="outages of each kind (2)")
    parser.add_argument("--refused", type=float, default=20.0, help="first refusal, s (20)")
    parser.add_argument("--hung", type=float, default=15.0, help="first hang, s (15)")
    parser.add_argument("--kubectl", default=None, help="default, 1.27 ... 1.33, or a path")
    parser.add_argument("--quick", action="store_true", help="20 forwards, 5 s outages, 1 round")
    parser.add_argument("--json", help="also write the samples here")
    parser.add_argument("--log", help="also write pfd's log here (info level)")
    args = parser.parse_args()
    if args.quick:
        args.forwards, args.deployments, args.rounds = 20, 4, 1
        args.refused = args.hung = 5.0
    for name, relative in (("PFD_BIN", "daemon/pfd"), ("PFCTL_BIN", "client/pfctl")):
        os.environ.setdefault(name, os.path.join(REPO, "build", relative))

    workdir = tempfile.mkdtemp(prefix="pfd-bench-outage-")
    counted = os.path.join(workdir, "kubectl-starts.log")
    open(counted, "w").close()
    kubectl = write_counting_kubectl(workdir, counted, kubectl_path(args.kubectl))
    cluster = FakeCluster()
    pfd = None
    samples = []
    try:
        for index in range(args.deployments):
            cluster.add_deployment(f"d{index}", replicas=1, ports={"http": 8080})
        ports = reserve_ports(args.forwards)
        names = [f"f{i:03d}" for i in range(args.forwards)]
        config = json.dumps({
            "defaults": {"kubectl": kubectl, "kubeconfig": cluster.kubeconfig_path,
                         "startTimeout": "6s", "requestTimeout": "2s"},
            "forwards": [{"name": names[i], "target": f"deployment/d{i % args.deployments}",
                          "ports": [f"{ports[i]}:8080"]} for i in range(args.forwards)]})
        pfd = QuietPfd(config, name="pfd-bench", extra_env={"KUBECACHEDIR": cluster.cache_dir})
        started = time.time()
        pfd.start()
        wait_all_ready(pfd, names, 0, timeout=300)
        all_answer(ports, timeout=60)  # every forward serves before the first outage
        print(f"{args.forwards} forwards READY and serving {time.time() - started:.1f} s after "
              f"pfd started ({len(counted_kubectl_runs(counted, started, time.time()))} kubectl runs)")
        for round_index in range(args.rounds):
            for kind, base in (("refused", args.refused), ("hung", args.hung)):
                # Another length each round: the full one, half of it, one and a half.
                seconds = base * (1.0, 0.5, 1.5)[round_index % 3]
                sample = one_outage(kind, seconds, cluster, pfd, names, ports, counted)
                samples.append(sample)
                print(f"  {kind:<8} {seconds:>4.0f} s: {sample['kubectl_during']:>4} kubectl during, "
                      f"last READY {sample['ready_after']:.2f} s, last served "
                      f"{sample['serving_after']:.2f} s after the server was back, "
                      f"{sample['failed']} requests failed", flush=True)
    finally:
        if pfd is not None and pfd.log is not None and args.log:
            with open(args.log, "w") as out:
                out.write("\n".join(pfd.log.lines()) + "\n")
        if pfd is not None and pfd.process is not None:
            pfd.cleanup()
        cluster.stop()

    print()
    print(f"{args.forwards} forwards in one context, {args.rounds} round(s) per outage kind; "
          f"kubectl {kubectl_path(args.kubectl)}")
    print(f"{'outage':<10} {'kubectl during (max)':>21} {'READY after (worst)':>20} "
          f"{'served after (worst)':>21} {'failed requests':>16}")
    for kind in ("refused", "hung"):
        mine = [s for s in samples if s["kind"] == kind]
        print(f"{kind:<10} {max(s['kubectl_during'] for s in mine):>21} "
              f"{max(s['ready_after'] for s in mine):>19.2f}s "
              f"{max(s['serving_after'] for s in mine):>20.2f}s "
              f"{sum(s['failed'] for s in mine):>16}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(samples, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
