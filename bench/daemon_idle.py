#!/usr/bin/env python3
"""pfd at rest with 200 command forwards (no probes): its RSS once every forward is READY, its
CPU use while nothing happens, and how long `pfctl status -o json` takes.

  PFD_BIN=build-bench/daemon/pfd PFCTL_BIN=build-bench/client/pfctl \\
      /usr/bin/python3 bench/daemon_idle.py [--quick] [--seconds S] [--forwards N]

Targets (the issue): RSS < 30 MB, idle CPU < 1 % of one core, status < 50 ms.
"""
import json
import subprocess
import sys
import time

from daemon_harness import (CpuWindow, Table, Workspace, common_arguments, compile_listener,
                            environment_line, finish, forward_names, listener_config, megabytes,
                            memory_kib, percentile, reserve_ports, start_pfd, stop_pfd,
                            thread_count, wait_all_ready)

STATUS_RUNS = 20


def time_status(pfd, expected_forwards: int) -> list:
    """Wall time of `pfctl status -o json` (process start to exit), STATUS_RUNS times."""
    durations = []
    for _ in range(STATUS_RUNS):
        started = time.perf_counter()
        result = subprocess.run([pfd.pfctl_bin, "--socket", pfd.socket, "status", "-o", "json"],
                                capture_output=True, text=True, env=pfd.env, timeout=30)
        durations.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"pfctl status failed: {result.stderr}")
        listed = len(json.loads(result.stdout)["forwards"])
        if listed != expected_forwards:
            raise SystemExit(f"pfctl status listed {listed} forwards, not {expected_forwards}")
    return durations


def main() -> int:
    args = common_arguments(__doc__, seconds=60, quick_seconds=10, forwards=200)
    print(environment_line())
    workspace = Workspace()
    pfd = None
    try:
        listener = compile_listener(workspace.dir)
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards)
        pfd = start_pfd(listener_config(listener, names, ports, "tcp"))
        pid = pfd.process.pid
        ready_seconds = wait_all_ready(pfd, names)
        pfd.status()  # records the children's pids, so stop_pfd can check they are gone
        at_ready = memory_kib(pid)

        print(f"all {args.forwards} READY after {ready_seconds:.2f} s; "
              f"idle window {args.seconds:g} s ...", flush=True)
        window = CpuWindow(pid)
        time.sleep(args.seconds)  # the measurement: pfd alone, nothing asked of it
        window.stop()

        durations = time_status(pfd, args.forwards)
        after_status = memory_kib(pid)
        threads = thread_count(pid)
    finally:
        if pfd is not None:
            stop_pfd(pfd)
        workspace.remove()

    table = Table(f"pfd with {args.forwards} command forwards, no probes "
                  f"({'quick, ' if args.quick else ''}{args.seconds:g} s idle window)")
    table.add("pfd start -> all READY", f"{ready_seconds:.2f} s")
    rss_mb = megabytes(at_ready["VmRSS"])
    table.add("RSS (VmRSS) when all READY", f"{rss_mb:.1f} MB", "< 30 MB", rss_mb < 30)
    peak_mb = megabytes(max(at_ready["VmHWM"], after_status["VmHWM"]))
    table.add("peak RSS (VmHWM), status runs included", f"{peak_mb:.1f} MB", "< 30 MB",
              peak_mb < 30)
    table.add("  of which anonymous (heap, stacks)", f"{megabytes(at_ready['RssAnon']):.1f} MB")
    table.add("  of which file-backed (binary, libraries)",
              f"{megabytes(at_ready['RssFile']):.1f} MB")
    table.add("RSS after the status runs", f"{megabytes(after_status['VmRSS']):.1f} MB")
    table.add("threads", str(threads))
    table.add("idle CPU (utime+stime)", f"{window.percent:.3f} % of one core "
              f"({window.cpu * 1000:.0f} ms in {window.wall:.1f} s)", "< 1 %", window.percent < 1)
    median_ms = percentile(durations, 0.5) * 1000
    p95_ms = percentile(durations, 0.95) * 1000
    table.add(f"pfctl status -o json, median of {STATUS_RUNS}", f"{median_ms:.1f} ms", "< 50 ms",
              median_ms < 50)
    table.add(f"pfctl status -o json, p95 of {STATUS_RUNS}", f"{p95_ms:.1f} ms", "< 50 ms",
              p95_ms < 50)
    table.add("pfctl status -o json, max", f"{max(durations) * 1000:.1f} ms")
    return finish(table, args)


if __name__ == "__main__":
    sys.exit(main())
