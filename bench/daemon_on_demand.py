#!/usr/bin/python3
"""200 forwards with start: onDemand against the fake cluster (tests/e2e/fakekube): what they
cost while nobody uses them, and what the first request on an idle one waits.

    PFD_BIN=build/daemon/pfd PFCTL_BIN=build/client/pfctl /usr/bin/python3 bench/daemon_on_demand.py

Every forward targets deployment/web (one namespace, one pod watch) on its own held local port.
Once all are IDLE and pfd has settled (--settle seconds), it counts the kubectl processes pfd
runs (by the marker in their environment, so nothing else on the machine is counted) and reads
pfd's RSS. Then, one forward after another (--first-requests of them), the first GET / through an
idle forward's port is timed from the connect to the answer (pfd starts kubectl on the pod the
watch already knows, waits for `Forwarding from`, relays). kubectl's own floor, exec to
`Forwarding from` for deployment/web, is measured in the same run (bench/kubectl_floor.py).

Targets (issue 13): kubectl processes while idle 0 (bar: at most 5); pfd RSS with 200 held ports
at most 40 MB; first request p50 within the floor's p50 + 50 ms.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, BENCH)

from daemon_harness import (BenchPfd, Table, common_arguments, environment_line,  # noqa: E402
                            forward_names, megabytes, memory_kib, percentile, reserve_ports,
                            stop_pfd, wait_all)
from fakekube import FakeCluster, kubectl_path  # noqa: E402
from kubectl_floor import measure  # noqa: E402

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def processes_with(entry: str) -> list[tuple[int, list[str]]]:
    """(pid, argv) of every process whose environment holds `entry`."""
    wanted = entry.encode()
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                if wanted not in environ.read().split(b"\0"):
                    continue
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                argv = [word.decode() for word in cmdline.read().split(b"\0") if word]
        except OSError:
            continue
        found.append((int(name), argv))
    return found


def states(pfd: BenchPfd) -> dict[str, str]:
    listing = json.loads(pfd.pfctl_ok("status", "-o", "json"))
    return {f["name"]: f["state"] for f in listing.get("forwards", [])}


def main() -> int:
    def more(parser):
        parser.add_argument("--first-requests", type=int, default=20,
                            help="idle forwards whose first request is timed (20)")
        parser.add_argument("--settle", type=float, default=5.0,
                            help="seconds after every forward is IDLE before counting (5)")

    args = common_arguments(__doc__, seconds=0, quick_seconds=0, forwards=200, add_more=more)
    if args.quick:
        args.forwards, args.first_requests, args.settle = 20, 5, 2.0
    for name, relative in (("PFD_BIN", "daemon/pfd"), ("PFCTL_BIN", "client/pfctl")):
        os.environ.setdefault(name, os.path.join(REPO, "build", relative))
    kubectl = kubectl_path()
    marker = f"PFD_BENCH_ON_DEMAND={os.getpid()}"

    cluster = FakeCluster()
    table = Table(f"{args.forwards} onDemand forwards, deployment/web, kubectl {kubectl}")
    pfd = None
    try:
        cluster.add_deployment("web", replicas=1, ports={"http": 8080})
        pod = cluster.pod_names("deployment/web")[0]
        floor = measure(cluster, kubectl, "deployment/web", "8080", 20)
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards)
        config = {"defaults": {"kubectl": kubectl, "kubeconfig": cluster.kubeconfig_path,
                               "start": "onDemand", "idleTimeout": "15m"},
                  "forwards": [{"name": name, "target": "deployment/web",
                                "ports": [f"{port}:8080"]} for name, port in zip(names, ports)]}
        pfd = BenchPfd(json.dumps(config, indent=1))
        pfd.env.update({"KUBECACHEDIR": cluster.cache_dir, marker.split("=")[0]:
                        marker.split("=")[1]})
        pfd.started_at = time.monotonic()
        pfd.start()
        wait_all(pfd, names, r"\b{name}: \w+ -> IDLE:", timeout=60)
        time.sleep(args.settle)  # a measurement window (the ahead fetches end), not a wait
        kubectls = [argv for pid, argv in processes_with(marker)
                    if pid != pfd.process.pid and any("kubectl" in word for word in argv[:2])]
        rss = megabytes(memory_kib(pfd.process.pid)["VmRSS"])

        first = []
        for name, port in list(zip(names, ports))[:args.first_requests]:
            started = time.monotonic()
            with _OPENER.open(f"http://127.0.0.1:{port}/", timeout=30) as response:
                answer = response.read().decode()
            first.append((time.monotonic() - started) * 1000)
            if answer != pod:
                raise SystemExit(f"{name} answered {answer!r}, not {pod}")
        running = sum(1 for state in states(pfd).values() if state == "FORWARD_STATE_READY")
    finally:
        if pfd is not None and pfd.process is not None:
            stop_pfd(pfd)
        cluster.stop()

    print(environment_line())
    watches = sum(1 for argv in kubectls if "--watch" in argv)
    table.add("kubectl processes while every forward is IDLE",
              f"{len(kubectls)} ({watches} pod watch for the namespace)", "0 (bar: <= 5)",
              len(kubectls) <= 5)
    table.add("pfd RSS with every port held", f"{rss:.1f} MB", "<= 40 MB", rss <= 40)
    floor_p50 = percentile(floor, 0.5)
    p50, p95 = percentile(first, 0.5), percentile(first, 0.95)
    table.add(f"first request on an idle forward, p50 / p95 ({len(first)} forwards)",
              f"{p50:.0f} / {p95:.0f} ms", f"<= floor + 50 = {floor_p50 + 50:.0f} ms",
              p50 <= floor_p50 + 50)
    table.add("kubectl floor, exec -> Forwarding from, deployment/web, p50 / p95",
              f"{floor_p50:.0f} / {percentile(floor, 0.95):.0f} ms")
    table.add("forwards READY after the first requests", f"{running}")
    table.print()
    return 1 if table.missed and args.enforce_targets else 0


if __name__ == "__main__":
    sys.exit(main())
