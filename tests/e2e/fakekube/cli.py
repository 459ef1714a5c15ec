"""Command line: `serve` a fake cluster for shells and benchmarks, `record` kubectl's output.

    PYTHONPATH=tests/e2e /usr/bin/python3 -m fakekube serve --dir DIR [--demo]
    PYTHONPATH=tests/e2e /usr/bin/python3 -m fakekube record [--versions 1.27,default,1.33]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import Optional

from . import kubelet


def _serve(args: argparse.Namespace) -> int:
    from .cluster import FakeCluster
    from .control import ControlServer
    from .demo import load_demo

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    os.makedirs(args.dir, exist_ok=True)
    try:
        cluster = FakeCluster(
            args.dir,
            server_version=args.server_version,
            runtime=args.runtime,
            grace_seconds=args.grace,
            websocket_portforward=not args.no_websocket,
            port=args.port,
        )
    except OSError as exc:
        print(f"fakekube: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    control = ControlServer(cluster, args.control_port)
    control.start()
    if args.demo:
        load_demo(cluster)
    ready = {
        "event": "ready",
        "pid": os.getpid(),
        "api_port": cluster.port,
        "api_url": cluster.url,
        "kubeconfig": os.path.abspath(cluster.kubeconfig_path),
        "contexts": ["fake-a", "fake-b"],
        "control_port": control.port,
        "control_url": f"http://127.0.0.1:{control.port}/_fake",
    }
    print(json.dumps(ready), flush=True)
    stop.wait()
    control.stop()
    cluster.stop()
    return 0


def _record(args: argparse.Namespace) -> int:
    from . import record

    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    names = [n.strip() for n in args.scenarios.split(",")] if args.scenarios else None
    unknown = set(names or ()) - set(record.SCENARIOS)
    if unknown:
        print(
            f"unknown scenarios: {', '.join(sorted(unknown))}; "
            f"known: {', '.join(record.SCENARIOS)}",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(record.to_markdown(record.record(versions, names, args.workers)))
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="fakekube", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a fake cluster until SIGINT/SIGTERM")
    serve.add_argument("--dir", required=True, help="where to write DIR/kubeconfig")
    serve.add_argument("--demo", action="store_true", help="load web, api, db (and shop/cart)")
    serve.add_argument("--port", type=int, default=0, help="API server port (default: any free)")
    serve.add_argument("--control-port", type=int, default=0, help="control endpoint port")
    serve.add_argument("--server-version", default="1.32", help="what /version reports")
    serve.add_argument("--runtime", choices=kubelet.RUNTIMES, default="containerd")
    serve.add_argument("--grace", type=float, default=2.0, help="seconds a deleted pod terminates")
    serve.add_argument(
        "--no-websocket", action="store_true", help="refuse kubectl's WebSocket port-forward"
    )
    serve.set_defaults(run=_serve)
    rec = commands.add_parser("record", help="print what real kubectl says in each failure")
    rec.add_argument("--versions", default="1.27,default,1.33")
    rec.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    rec.add_argument("--workers", type=int, default=6)
    rec.set_defaults(run=_record)
    args = parser.parse_args(argv)
    return args.run(args)
