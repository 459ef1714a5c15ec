#!/usr/bin/env python3
"""`pfctl status --short` as a shell prompt runs it: the whole process (start to exit), with pfd
serving 200 command forwards, beside `/bin/true` (the floor of any process started from here),
`pfctl --help` (pfctl's front execs the full client, pfctl-rpc, which loads gRPC, protobuf and
abseil: what --short no longer pays) and `pfctl status -o json` (that, plus a gRPC round trip).

  PFD_BIN=build-bench/daemon/pfd PFCTL_BIN=build-bench/client/pfctl \\
      /usr/bin/python3 bench/status_short.py [--quick] [--runs N] [--forwards N]

Target (the issue): --short <= 10 ms at the median.
"""
import resource
import subprocess
import sys
import time

from daemon_harness import (Table, Workspace, common_arguments, compile_listener,
                            environment_line, finish, forward_names, listener_config, percentile,
                            reserve_ports, start_pfd, stop_pfd, wait_all_ready)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_runs(argv, env, runs: int, expect_code: int, expect_text: str) -> tuple:
    """Wall time of `argv` from fork to exit, and its CPU time (user + system of the reaped child;
    less sensitive to a loaded machine than wall time), `runs` times after one warm-up run."""
    walls, cpus = [], []
    for attempt in range(runs + 1):
        cpu_before = children_cpu()
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30)
        elapsed = time.perf_counter() - started
        cpu = children_cpu() - cpu_before
        if result.returncode != expect_code or expect_text not in result.stdout:
            raise SystemExit(f"{' '.join(argv)} -> {result.returncode}: {result.stdout!r} "
                             f"{result.stderr!r}")
        if attempt > 0:
            walls.append(elapsed)
            cpus.append(cpu)
    return walls, cpus


def add_runs(parser) -> None:
    parser.add_argument("--runs", type=int, default=None, help="runs of each command (100)")


def main() -> int:
    args = common_arguments(__doc__, seconds=0, quick_seconds=0, forwards=200, add_more=add_runs)
    runs = args.runs or (20 if args.quick else 100)
    print(environment_line())
    workspace = Workspace()
    pfd = None
    try:
        listener = compile_listener(workspace.dir)
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards)
        pfd = start_pfd(listener_config(listener, names, ports, "tcp"))
        wait_all_ready(pfd, names)
        pfd.status()  # records the children's pids, so stop_pfd can check they are gone
        expected = f"pfd: {args.forwards}/{args.forwards} ready"
        # The summary is written within a loop turn or two of the last change.
        deadline = time.monotonic() + 10
        while True:
            result = subprocess.run([pfd.pfctl_bin, "--socket", pfd.socket, "status", "--short"],
                                    capture_output=True, text=True, env=pfd.env, timeout=30)
            if result.stdout.strip() == expected or time.monotonic() > deadline:
                break
        pfctl = [pfd.pfctl_bin, "--socket", pfd.socket]
        short = time_runs(pfctl + ["status", "--short"], pfd.env, runs, 0, expected)
        process_floor = time_runs(["/bin/true"], pfd.env, runs, 0, "")
        floor = time_runs([pfd.pfctl_bin, "--help"], pfd.env, runs, 0, "pfctl")
        full = time_runs(pfctl + ["status", "-o", "json"], pfd.env, max(runs // 5, 5), 0,
                         '"forwards"')
    finally:
        if pfd is not None:
            stop_pfd(pfd)
        workspace.remove()

    table = Table(f"pfctl whole-process time with {args.forwards} forwards READY "
                  f"({runs} runs each{', quick' if args.quick else ''})")
    for label, (walls, cpus), target in (("pfctl status --short", short, 10.0),
                                         ("/bin/true (process floor)", process_floor, None),
                                         ("pfctl --help (full client)", floor, None),
                                         ("pfctl status -o json", full, None)):
        p50 = percentile(walls, 0.5) * 1000
        p95 = percentile(walls, 0.95) * 1000
        table.add(f"{label}, wall p50", f"{p50:.1f} ms",
                  "" if target is None else f"<= {target:g} ms",
                  None if target is None else p50 <= target)
        table.add(f"{label}, wall p95", f"{p95:.1f} ms")
        table.add(f"{label}, CPU (user+sys) p50", f"{percentile(cpus, 0.5) * 1000:.1f} ms")
    return finish(table, args)


if __name__ == "__main__":
    sys.exit(main())
