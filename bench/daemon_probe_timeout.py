#!/usr/bin/env python3
"""How long an httpGet probe of a server that accepts and never answers takes to fail, against
the issue's "within timeoutSeconds + 100 ms" (timeoutSeconds: 1).

  PFD_BIN=build-bench/daemon/pfd PFCTL_BIN=build-bench/client/pfctl \\
      /usr/bin/python3 bench/daemon_probe_timeout.py [--quick] [--seconds S] [--forwards N]

Two figures per probe:
- the latency pfd reports in the forward's ProbeStatus (`pfctl status -o json`, readiness.latency:
  from the prober's start to its result), collected by polling status twice a period;
- measured outside pfd: the forward's child (bench_listener.c, mode hang) stamps when the probe's
  connection arrived and when pfd hung up on it, i.e. gave up and produced the result.
The forwards never become READY (failureThreshold is high), so they keep probing.
"""
import os
import sys
import time

from daemon_harness import (Table, Workspace, common_arguments, compile_listener, environment_line,
                            finish, forward_names, listener_config, parse_duration, percentile,
                            reserve_ports, start_pfd, stop_pfd, wait_all)

TIMEOUT = 1.0
PERIOD = 2.0  # longer than the timeout, so that no period is skipped behind a probe in flight
LIMIT_MS = TIMEOUT * 1000 + 100


def read_hangs(path: str, start: float, end: float) -> list:
    """(accepted, closed) of every probe connection that arrived and ended inside the window."""
    spans = []
    try:
        with open(path) as records:
            for line in records:
                parts = line.split()
                if parts[0] == "hang":
                    accepted, closed = float(parts[1]), float(parts[2])
                    if start <= accepted and closed <= end:
                        spans.append((accepted, closed))
    except FileNotFoundError:
        pass
    return spans


def run(args, workspace: Workspace) -> int:
    records = workspace.path("records")
    os.mkdir(records)
    readiness = (f"{{httpGet: {{path: /healthz}}, timeoutSeconds: {TIMEOUT:g}, "
                 f"periodSeconds: {PERIOD:g}, failureThreshold: 100000}}")
    reported = {}  # (name, result time) -> latency in ms
    pfd = None
    try:
        listener = compile_listener(workspace.dir)
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards)
        pfd = start_pfd(listener_config(listener, names, ports, "hang", readiness, records))
        # Every forward has had its first timeout: its port check is over, probing has begun.
        first_seconds = wait_all(pfd, names, r"\b{name}: readiness probe failed: timeout after")
        print(f"every forward failed its first probe after {first_seconds:.2f} s; "
              f"window {args.seconds:g} s ...", flush=True)
        window_start = time.monotonic()
        while time.monotonic() - window_start < args.seconds:
            for forward in pfd.status()["forwards"]:
                readiness_status = forward.get("readiness", {})
                if readiness_status.get("time") and not readiness_status.get("success"):
                    key = (forward["name"], readiness_status["time"])
                    reported[key] = parse_duration(readiness_status["latency"]) * 1000
            time.sleep(PERIOD / 2)  # sampling, not synchronisation: each result stays up 2 s
        window_end = time.monotonic()
    finally:
        if pfd is not None:
            stop_pfd(pfd)

    external_ms = []
    for name in names:
        external_ms += [(closed - accepted) * 1000 for accepted, closed in
                        read_hangs(os.path.join(records, name), window_start, window_end)]
    reported_ms = list(reported.values())

    table = Table(f"httpGet probe of a server that never answers: timeoutSeconds {TIMEOUT:g}, "
                  f"{args.forwards} forwards ({'quick, ' if args.quick else ''}"
                  f"{args.seconds:g} s window)")
    for label, values in (("reported latency (ProbeStatus)", reported_ms),
                          ("connection arrival -> pfd hung up (outside)", external_ms)):
        table.add(f"{label}: samples", str(len(values)))
        table.add(f"{label}: p50", f"{percentile(values, 0.5):.1f} ms")
        p99 = percentile(values, 0.99)
        table.add(f"{label}: p99", f"{p99:.1f} ms", f"< {LIMIT_MS:.0f} ms", p99 < LIMIT_MS)
        worst = max(values, default=float("nan"))
        table.add(f"{label}: max", f"{worst:.1f} ms", f"< {LIMIT_MS:.0f} ms", worst < LIMIT_MS)
    return finish(table, args)


def main() -> int:
    args = common_arguments(__doc__, seconds=60, quick_seconds=10, forwards=20)
    print(environment_line())
    workspace = Workspace()
    try:
        return run(args, workspace)
    finally:
        workspace.remove()


if __name__ == "__main__":
    sys.exit(main())
