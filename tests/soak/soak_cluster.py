"""The soak's fake cluster, in a process of its own (its threads serve every port-forward byte,
and must not share an interpreter lock with the soak's clients and checks).

    /usr/bin/python3 tests/soak/soak_cluster.py --dir DIR

loads the workloads below, serves fakekube's control endpoint (tests/e2e/fakekube/control.py:
the soak breaks the cluster through it), prints one JSON line
{"event": "ready", "pid", "api_port", "kubeconfig", "cache_dir", "control_port"} and serves
until SIGTERM or SIGINT (exit 0)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from fakekube import FakeCluster  # noqa: E402
from fakekube.control import ControlServer  # noqa: E402

GRACE_SECONDS = 2.0


def load(cluster: FakeCluster) -> None:
    """What the soak's forwards point at (soak.py's FORWARDS): deployments with one and two
    replicas, two services (one over another forward's pods), a bare pod and a StatefulSet."""
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    cluster.add_service("web", selector={"app": "web"}, ports=[("http", 80, "http")])
    cluster.add_deployment("single", replicas=1, ports={"http": 8080})
    cluster.add_deployment("api", replicas=2, ports={"http": 9090})
    cluster.add_deployment("shop", replicas=2, ports={"http": 8080})
    cluster.add_service("shop", selector={"app": "shop"}, ports=[("http", 80, "http")])
    cluster.add_deployment("cart", replicas=1, ports={"http": 8080})
    cluster.add_statefulset("db", replicas=1, ports={"http": 5432})
    cluster.add_pod("solo", ports={"http": 8080})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    os.makedirs(args.dir, exist_ok=True)
    cluster = FakeCluster(args.dir, grace_seconds=GRACE_SECONDS)
    control = ControlServer(cluster)
    control.start()
    load(cluster)
    print(json.dumps({
        "event": "ready",
        "pid": os.getpid(),
        "api_port": cluster.port,
        "kubeconfig": os.path.abspath(cluster.kubeconfig_path),
        "cache_dir": cluster.cache_dir,
        "control_port": control.port,
    }), flush=True)
    stop.wait()
    control.stop()
    cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
