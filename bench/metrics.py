#!/usr/bin/env python3
"""GET /metrics with pfd serving 200 command forwards READY, each with a TCP readiness probe (so
the probe families have samples): the latency of one scrape as Prometheus makes it (a new
connection, the request, the whole body, the close), and the body's size.

  PFD_BIN=build-bench/daemon/pfd PFCTL_BIN=build-bench/client/pfctl \\
      /usr/bin/python3 bench/metrics.py [--quick] [--requests N] [--forwards N]

Target (the issue): <= 5 ms at the median with 200 forwards.
"""
import http.client
import sys
import time

from daemon_harness import (Table, Workspace, common_arguments, compile_listener, cpu_seconds,
                            environment_line, finish, forward_names, listener_config, percentile,
                            reserve_ports, start_pfd, stop_pfd, wait_all_ready)


def add_requests(parser) -> None:
    parser.add_argument("--requests", type=int, default=None, help="scrapes to time (200)")


def scrape(port: int) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET /metrics -> {response.status}: {body[:200]!r}")
        return body
    finally:
        connection.close()


def main() -> int:
    args = common_arguments(__doc__, seconds=0, quick_seconds=0, forwards=200,
                            add_more=add_requests)
    requests = args.requests or (20 if args.quick else 200)
    print(environment_line())
    workspace = Workspace()
    pfd = None
    try:
        listener = compile_listener(workspace.dir)
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards + 1)
        metrics_port = ports.pop()
        config = (f"metrics:\n  address: 127.0.0.1:{metrics_port}\n" +
                  listener_config(listener, names, ports, "tcp",
                                  "{tcpSocket: {}, periodSeconds: 10}"))
        pfd = start_pfd(config)
        wait_all_ready(pfd, names)
        pfd.status()  # records the children's pids, so stop_pfd can check they are gone
        body = scrape(metrics_port)  # warm-up
        cpu_before = cpu_seconds(pfd.process.pid)
        latencies = []
        for _ in range(requests):
            started = time.perf_counter()
            body = scrape(metrics_port)
            latencies.append(time.perf_counter() - started)
        pfd_cpu = (cpu_seconds(pfd.process.pid) - cpu_before) / requests
    finally:
        if pfd is not None:
            stop_pfd(pfd)
        workspace.remove()

    lines = body.count(b"\n")
    table = Table(f"GET /metrics with {args.forwards} forwards READY "
                  f"({requests} scrapes{', quick' if args.quick else ''})")
    p50 = percentile(latencies, 0.5) * 1000
    table.add("scrape, wall p50", f"{p50:.2f} ms", "<= 5 ms", p50 <= 5.0)
    table.add("scrape, wall p95", f"{percentile(latencies, 0.95) * 1000:.2f} ms")
    table.add("scrape, wall max", f"{max(latencies) * 1000:.2f} ms")
    table.add("pfd CPU per scrape", f"{pfd_cpu * 1000:.2f} ms")
    table.add("body", f"{len(body) / 1024:.0f} KiB, {lines} lines")
    return finish(table, args)


if __name__ == "__main__":
    sys.exit(main())
