#!/usr/bin/env python3
"""pfd probing 200 forwards every second: its CPU use and RSS, and how closely each probe keeps
to its schedule, measured from outside.

  PFD_BIN=build-bench/daemon/pfd PFCTL_BIN=build-bench/client/pfctl \\
      /usr/bin/python3 bench/daemon_probes.py [--quick] [--probe http|tcp] [--seconds S]

Every forward's child (bench_listener.c) appends the CLOCK_MONOTONIC arrival time of each probe
to a file. pfd schedules probes at a fixed rate (daemon/core/probe_session.cc: the next start is
the previous planned start + period, not "last finished + period"), so the planned start of probe
k of a forward is its first probe in the window + k * period, and the jitter of a probe is its
arrival minus that plan. Only probes arriving after every forward is READY are counted.

Targets (the issue): < 2 % of one core, p99 jitter < 20 ms.
"""
import argparse
import os
import sys
import time

from daemon_harness import (CpuWindow, Table, Workspace, common_arguments, compile_listener,
                            environment_line, finish, forward_names, listener_config, megabytes,
                            memory_kib, parse_duration, percentile, reserve_ports, start_pfd,
                            stop_pfd, thread_count, wait_all_ready)

PERIOD = 1.0


def probe_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--probe", choices=["http", "tcp"], default="http",
                        help="httpGet (default) or tcpSocket probes")


def read_arrivals(path: str, start: float, end: float) -> list:
    arrivals = []
    try:
        with open(path) as records:
            for line in records:
                kind, _, stamp = line.partition(" ")
                moment = float(stamp)
                if kind == "probe" and start <= moment <= end:
                    arrivals.append(moment)
    except FileNotFoundError:
        pass
    return sorted(arrivals)


class Schedule:
    """Jitter of every forward's probes against its fixed-rate plan."""

    def __init__(self, period: float):
        self.period = period
        self.jitter_ms: list = []  # arrival - planned, signed
        self.probes = 0
        self.expected = 0
        self.drift_ms_per_period: list = []
        # The same, against a plan anchored on the forward's median offset instead of its first
        # probe, which carries the first probe's own lateness into every other sample.
        self.centred_jitter_ms: list = []

    def add(self, arrivals: list, window_end: float) -> None:
        if not arrivals:
            return
        first = arrivals[0]
        # Planned starts up to half a period before the end: a late last probe still counts.
        planned = int((window_end - self.period / 2 - first) / self.period) + 1
        self.expected += planned
        seen = set()
        points = []
        for arrival in arrivals:
            k = round((arrival - first) / self.period)
            if k < planned:
                seen.add(k)
            if k == 0:
                continue
            jitter = (arrival - first - k * self.period) * 1000
            self.jitter_ms.append(jitter)
            points.append((k, jitter))
        self.probes += len(seen)
        offsets = sorted(arrival - round((arrival - first) / self.period) * self.period
                         for arrival in arrivals)
        anchor = offsets[len(offsets) // 2]
        self.centred_jitter_ms += [(offset - anchor) * 1000 for offset in offsets]
        if len(points) >= 2:
            # Least-squares slope: a schedule that drifts by each probe's latency shows here.
            mean_k = sum(k for k, _ in points) / len(points)
            mean_j = sum(j for _, j in points) / len(points)
            spread = sum((k - mean_k) ** 2 for k, _ in points)
            if spread > 0:
                self.drift_ms_per_period.append(
                    sum((k - mean_k) * (j - mean_j) for k, j in points) / spread)


def run(args, workspace: Workspace) -> int:
    records = workspace.path("records")
    os.mkdir(records)
    handler = "{httpGet: {path: /healthz}" if args.probe == "http" else "{tcpSocket: {}"
    readiness = f"{handler}, periodSeconds: {PERIOD:g}, failureThreshold: 3}}"
    pfd = None
    try:
        listener = compile_listener(workspace.dir)
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards)
        pfd = start_pfd(listener_config(listener, names, ports, args.probe, readiness, records))
        pid = pfd.process.pid
        ready_seconds = wait_all_ready(pfd, names)
        pfd.status()  # records the children's pids, so stop_pfd can check they are gone
        print(f"all {args.forwards} READY after {ready_seconds:.2f} s; "
              f"probe window {args.seconds:g} s ...", flush=True)

        window_start = time.monotonic()
        window = CpuWindow(pid)
        time.sleep(args.seconds)  # the measurement: pfd probing, nothing else asked of it
        window.stop()
        window_end = time.monotonic()
        memory = memory_kib(pid)
        threads = thread_count(pid)
        forwards = pfd.status()["forwards"]
    finally:
        if pfd is not None:
            stop_pfd(pfd)

    schedule = Schedule(PERIOD)
    for name in names:
        schedule.add(read_arrivals(os.path.join(records, name), window_start, window_end),
                     window_end)
    latencies_ms = [parse_duration(f["readiness"]["latency"]) * 1000 for f in forwards
                    if f.get("readiness", {}).get("latency")]
    not_ready = [f["name"] for f in forwards if f["state"] != "FORWARD_STATE_READY"]

    kind = "httpGet" if args.probe == "http" else "tcpSocket"
    table = Table(f"pfd probing {args.forwards} forwards ({kind}, periodSeconds {PERIOD:g}; "
                  f"{'quick, ' if args.quick else ''}{args.seconds:g} s window)")
    table.add("pfd start -> all READY", f"{ready_seconds:.2f} s")
    table.add("CPU (utime+stime)", f"{window.percent:.2f} % of one core "
              f"({window.cpu * 1000:.0f} ms in {window.wall:.1f} s)", "< 2 %",
              window.percent < 2)
    table.add("RSS (VmRSS) at the end", f"{megabytes(memory['VmRSS']):.1f} MB")
    table.add("  of which anonymous (heap, stacks)", f"{megabytes(memory['RssAnon']):.1f} MB")
    table.add("  of which file-backed (binary, libraries)",
              f"{megabytes(memory['RssFile']):.1f} MB")
    table.add("peak RSS (VmHWM)", f"{megabytes(memory['VmHWM']):.1f} MB")
    table.add("threads", str(threads))
    table.add("probes seen / planned", f"{schedule.probes} / {schedule.expected}", "all",
              schedule.probes >= schedule.expected)
    absolute = [abs(j) for j in schedule.jitter_ms]
    table.add("jitter samples", str(len(absolute)))
    table.add("jitter |actual - planned| p50", f"{percentile(absolute, 0.5):.2f} ms")
    p99 = percentile(absolute, 0.99)
    table.add("jitter |actual - planned| p99", f"{p99:.2f} ms", "< 20 ms", p99 < 20)
    table.add("jitter max", f"{max(absolute, default=float('nan')):.2f} ms")
    table.add("jitter signed p1 / p50 / p99",
              " / ".join(f"{percentile(schedule.jitter_ms, q):+.2f}" for q in (0.01, 0.5, 0.99))
              + " ms")
    centred = [abs(j) for j in schedule.centred_jitter_ms]
    table.add("jitter vs median-anchored plan p50 / p99",
              f"{percentile(centred, 0.5):.2f} / {percentile(centred, 0.99):.2f} ms")
    drift = schedule.drift_ms_per_period
    table.add("drift (slope of jitter), median", f"{percentile(drift, 0.5):+.3f} ms per period")
    table.add("probe latency in ProbeStatus p50 / p99",
              f"{percentile(latencies_ms, 0.5):.1f} / {percentile(latencies_ms, 0.99):.1f} ms")
    table.add("forwards READY at the end", f"{len(forwards) - len(not_ready)} / {len(forwards)}",
              "all", not not_ready)
    return finish(table, args)


def main() -> int:
    args = common_arguments(__doc__, seconds=60, quick_seconds=10, forwards=200,
                            add_more=probe_option)
    print(environment_line())
    workspace = Workspace()
    try:
        return run(args, workspace)
    finally:
        workspace.remove()


if __name__ == "__main__":
    sys.exit(main())
