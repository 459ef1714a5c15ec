"""Shared pieces of the daemon benchmarks (daemon_idle.py, daemon_probes.py,
daemon_probe_timeout.py): a pfd supervising many bench_listener children, /proc readings of the
pfd process, percentiles and the result table.

The pfd under test is the one tests/harness/pfd_harness.py drives (its own socket and config in a
temporary directory); PFD_BIN and PFCTL_BIN say which binaries to use.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Iterable, List, Optional, Sequence

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH_DIR, "..", "tests", "harness"))

from pfd_harness import PfdInstance  # noqa: E402
from port_allocator import reserve_ports  # noqa: E402

LISTENER_SOURCE = os.path.join(BENCH_DIR, "bench_listener.c")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT = 180.0


def compile_listener(directory: str) -> str:
    """Builds bench_listener.c into `directory`: a C child costs ~1 MB, a Python one ~10."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SystemExit("no C compiler (cc) on PATH: install build-essential "
                         "(scripts/install-deps.sh does)")
    binary = os.path.join(directory, "bench_listener")
    subprocess.run([compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, LISTENER_SOURCE],
                   check=True)
    return binary


class BenchPfd(PfdInstance):
    """A PfdInstance at a quieter log level: at debug, pfd would log every child line, and the
    benchmarks measure pfd, not its logging."""

    def __init__(self, config_text: str, log_level: str = "info"):
        super().__init__(config_text, name="pfd-bench")
        self.log_level = log_level
        self.started_at = 0.0

    def command(self, *extra: str, log_level: str = "") -> List[str]:
        return super().command(*extra, log_level=log_level or self.log_level)


def forward_names(count: int) -> List[str]:
    return [f"f{index:03d}" for index in range(count)]


def listener_config(listener: str, names: Sequence[str], ports: Sequence[int], mode: str,
                    readiness: str = "", record_dir: Optional[str] = None) -> str:
    lines = ["forwards:"]
    for name, port in zip(names, ports):
        argv = [listener, str(port), mode]
        if record_dir:
            argv.append(os.path.join(record_dir, name))
        lines += [f"  - name: {name}",
                  "    command: [" + ", ".join(f'"{word}"' for word in argv) + "]",
                  f'    ports: ["{port}"]']
        if readiness:
            lines.append(f"    readiness: {readiness}")
    return "\n".join(lines) + "\n"


def start_pfd(config_text: str) -> BenchPfd:
    pfd = BenchPfd(config_text)
    pfd.started_at = time.monotonic()
    pfd.start()
    return pfd


def wait_all(pfd: BenchPfd, names: Iterable[str], pattern: str,
             timeout: float = READY_TIMEOUT) -> float:
    """Waits until every forward logged a line matching `pattern` (with {name} filled in);
    returns the seconds since pfd was started."""
    deadline = time.monotonic() + timeout
    for name in names:
        remaining = max(deadline - time.monotonic(), 0.1)
        pfd.wait_for_log(pattern.format(name=re.escape(name)), timeout=remaining)
    return time.monotonic() - pfd.started_at


def wait_all_ready(pfd: BenchPfd, names: Iterable[str]) -> float:
    return wait_all(pfd, names, r"\b{name}: \w+ -> READY:")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (every thread), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kib(pid: int) -> dict:
    """VmRSS, VmHWM (peak RSS) and RSS's parts (RssAnon: heap and stacks; RssFile: mapped
    binaries and libraries) of the process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                values[key] = int(rest.split()[0])
    return values


def megabytes(kib: int) -> float:
    """/proc's kB (KiB) in MB (10^6 bytes), the unit the targets are written in."""
    return kib * 1024 / 1e6


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


class CpuWindow:
    """CPU time pfd used over a stretch of wall-clock time, as a percentage of one core."""

    def __init__(self, pid: int):
        self.pid = pid
        self.cpu_start = cpu_seconds(pid)
        self.wall_start = time.monotonic()
        self.cpu = 0.0
        self.wall = 0.0

    def stop(self) -> "CpuWindow":
        self.cpu = cpu_seconds(self.pid) - self.cpu_start
        self.wall = time.monotonic() - self.wall_start
        return self

    @property
    def percent(self) -> float:
        return 100.0 * self.cpu / self.wall if self.wall > 0 else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def parse_duration(text: str) -> float:
    """A protobuf JSON Duration ("0.002s") in seconds."""
    return float(text.rstrip("s"))


class Table:
    """Rows of (metric, value, target, verdict); printed aligned."""

    def __init__(self, title: str):
        self.title = title
        self.rows: List[List[str]] = []
        self.missed: List[str] = []

    def add(self, metric: str, value: str, target: str = "", met: Optional[bool] = None) -> None:
        verdict = "" if met is None else ("ok" if met else "MISSED")
        if met is False:
            self.missed.append(metric)
        self.rows.append([metric, value, target, verdict])

    def print(self) -> None:
        header = ["metric", "value", "target", ""]
        widths = [max(len(row[i]) for row in self.rows + [header]) for i in range(4)]
        print(f"\n{self.title}")
        for row in [header] + self.rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        sys.stdout.flush()


def common_arguments(description: str, seconds: float, quick_seconds: float, forwards: int,
                     add_more=None) -> argparse.Namespace:
    """--quick, --seconds, --forwards and --enforce-targets; `add_more(parser)` adds a script's
    own options."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: a {quick_seconds:g} s window instead of {seconds:g} s")
    parser.add_argument("--seconds", type=float, default=None, help="the measurement window")
    parser.add_argument("--forwards", type=int, default=forwards, help="how many forwards")
    parser.add_argument("--enforce-targets", action="store_true",
                        help="exit 1 when a figure misses its target (default: only report)")
    if add_more is not None:
        add_more(parser)
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = quick_seconds if args.quick else seconds
    return args


def environment_line() -> str:
    cores = os.cpu_count()
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    return (f"pfd: {os.environ.get('PFD_BIN', '?')}\n"
            f"machine: {cores} cores, load average {load} at the start")


class Workspace:
    """A temporary directory for the listener binary and record files; removed at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pfd-bench-", dir="/tmp")

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_pfd(pfd: PfdInstance) -> None:
    """Stops pfd and checks that every child it reported went with it."""
    survivors = pfd.cleanup()
    if survivors:
        raise SystemExit(f"children outlived pfd (killed now): {survivors}")


def finish(table: Table, args: argparse.Namespace) -> int:
    table.print()
    if table.missed:
        print(f"\nmissed targets: {', '.join(table.missed)}")
        return 1 if args.enforce_targets else 0
    return 0


__all__ = ["BenchPfd", "CpuWindow", "Table", "Workspace", "common_arguments", "compile_listener",
           "cpu_seconds", "environment_line", "finish", "forward_names", "listener_config",
           "megabytes", "memory_kib", "parse_duration", "percentile", "reserve_ports", "start_pfd",
           "stop_pfd", "thread_count", "wait_all", "wait_all_ready"]
