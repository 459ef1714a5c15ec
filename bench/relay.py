#!/usr/bin/env python3
"""The relay hop: what relaying a connection costs, side by side with socat and with no hop.

One upstream (`pfd-relay-load serve`, C, a thread per connection) and three paths to it, all on
127.0.0.1:

  direct   the client connects to the upstream itself (the floor)
  socat    socat TCP-LISTEN:P,fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:U
  <via>    the relay under test; `--via hop` (the default) is pfd-relay-hop, LibuvRelay alone on
           a libuv loop (bench/relay_hop.cc). `--via daemon` is pfd itself: a forward with a held
           port whose "kubectl" is a script that prints `Forwarding from 127.0.0.1:U -> 80` and
           sleeps, so pfd relays every connection to the same upstream, as it would to kubectl.
           With `--tap reading` (or `stalled`) pfd serves a second forward too, with `pfctl tap`
           attached to it (its output read and thrown away, or never read), measured as a path of
           its own beside the untapped one: what a tap costs the relay.

For each path: throughput of one connection moving --bytes (1 GiB) client -> upstream (upload)
and upstream -> client (download), the median of --runs (3); and the latency of --round-trips
(20,000) request/response round trips of --message-size (64) bytes per run, one at a time, in
--batches (10) connections interleaved with the other paths' (p50/p99 over all runs' samples).
"added" is the path's latency minus the direct one's: what the hop costs. The relay's CPU time
per GiB moved and per round trip comes from /proc (utime + stime, and for socat its forked
children's). Targets: the
relay moves at least as many bytes a second as socat, and adds no more p50 latency than socat.

  cmake --build build --target pfd-relay-hop pfd-relay-load
  /usr/bin/python3 bench/relay.py                 # ~40 s
  /usr/bin/python3 bench/relay.py --quick         # a smoke run (ctest: bench.relay_quick)

Binaries come from --build-dir (default: build/ next to this script's parent) or from
PFD_RELAY_HOP and PFD_RELAY_LOAD. socat comes from PATH (scripts/install-deps.sh installs it).
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GIB = 1 << 30
MIB = 1 << 20


def read_port(process: subprocess.Popen, what: str) -> int:
    """The first stdout line of a server that binds port 0 and prints the port it got."""
    line = process.stdout.readline().strip()
    if not line.isdigit():
        process.kill()
        raise SystemExit(f"{what} did not print its port (got {line!r})")
    return int(line)


def cpu_seconds(pid: int, children: bool) -> float:
    """utime + stime of a process (and of its waited-for children): /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the ")" field 3 is state; utime, stime, cutime, cstime are fields 14-17 (1-based).
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def has_children(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return listing.read().strip() != ""
    except OSError:
        return False


class Path:
    """A way to reach the upstream: a port to connect to, and the processes behind it."""

    def __init__(self, name: str, port: int, processes: Optional[List[subprocess.Popen]] = None,
                 forks: bool = False):
        self.name = name
        self.port = port
        self.processes = processes or []
        self.forks = forks  # socat: a child per connection, counted once it has been waited for

    def cpu(self) -> Optional[float]:
        if not self.processes:
            return None
        if self.forks:
            # A connection's child ends just after the client is done; wait until it is reaped.
            deadline = time.monotonic() + 5
            while has_children(self.processes[0].pid) and time.monotonic() < deadline:
                time.sleep(0.005)
        return sum(cpu_seconds(p.pid, self.forks) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def start_hop(args: argparse.Namespace, upstream_port: int) -> List[Path]:
    hop = subprocess.Popen([args.hop_bin, str(upstream_port), str(args.replay_buffer)],
                           stdout=subprocess.PIPE, text=True)
    return [Path("pfd relay (hop)", read_port(hop, "pfd-relay-hop"), [hop])]


class DaemonPath(Path):
    """pfd itself, stopped through its harness (which also checks that no child outlived it)."""

    def __init__(self, instance, port: int, name: str = "pfd daemon (held port)",
                 owner: bool = True):
        super().__init__(name, port, [instance.process])
        self.instance = instance
        self.owner = owner  # the tapped path shares the untapped one's pfd
        self.tap: Optional[subprocess.Popen] = None

    def stop(self) -> None:
        if self.tap is not None:
            self.tap.kill()
            self.tap.wait()
        if not self.owner:
            return
        survivors = self.instance.cleanup()
        if survivors:
            print(f"warning: pfd's children outlived it: {survivors}", file=sys.stderr)


def start_daemon(args: argparse.Namespace, upstream_port: int) -> List[Path]:
    sys.path.insert(0, os.path.join(BENCH_DIR, "..", "tests", "harness"))
    from pfd_harness import PfdInstance  # noqa: E402
    from port_allocator import reserve_ports  # noqa: E402

    os.environ.setdefault("PFD_BIN", os.path.join(args.build_dir, "daemon", "pfd"))
    os.environ.setdefault("PFCTL_BIN", os.path.join(args.build_dir, "client", "pfctl"))
    port, tapped_port = reserve_ports(2)
    scratch = tempfile.mkdtemp(prefix="pfd-relay-daemon-")
    kubectl = os.path.join(scratch, "kubectl")
    with open(kubectl, "w") as script:
        script.write("#!/bin/sh\n"
                     f"echo 'Forwarding from 127.0.0.1:{upstream_port} -> 80'\n"
                     "exec sleep 1000000\n")
    os.chmod(kubectl, 0o755)
    config = (f"forwards:\n  - name: bench\n    target: pod/bench\n    ports: [\"{port}:80\"]\n"
              f"    kubectl: {kubectl}\n")
    if args.tap:
        config += (f"  - name: tapped\n    target: pod/tapped\n    ports: [\"{tapped_port}:80\"]\n"
                   f"    kubectl: {kubectl}\n")
    instance = PfdInstance(config, name="pfd-relay-bench")
    instance.start()
    try:
        instance.wait_for_state("bench", "READY", timeout=30)
        if args.tap:
            instance.wait_for_state("tapped", "READY", timeout=30)
    except AssertionError:
        instance.cleanup()
        raise
    paths: List[Path] = [DaemonPath(instance, port)]
    if args.tap:
        tapped = DaemonPath(instance, tapped_port, f"pfd daemon + {args.tap} tap", owner=False)
        # A reading tap's output goes to /dev/null; a stalled one's to a pipe nobody reads.
        out = subprocess.DEVNULL if args.tap == "reading" else subprocess.PIPE
        tapped.tap = subprocess.Popen([instance.pfctl_bin, "--socket", instance.socket, "tap",
                                       "tapped"], stdout=out, stderr=subprocess.PIPE, text=True)
        if "tapping forward" not in tapped.tap.stderr.readline():
            raise SystemExit("pfctl tap did not attach")
        paths.append(tapped)
    return paths


# The relays under test, by --via.
VIAS: Dict[str, Callable[[argparse.Namespace, int], List[Path]]] = {"hop": start_hop,
                                                              "daemon": start_daemon}


def start_socat(upstream_port: int) -> Path:
    # socat cannot listen on port 0 and say which port it got. The port is held by a socket
    # bound with SO_REUSEADDR and not listening, which socat (reuseaddr) may bind too but
    # nobody else can, until socat listens; so no other process can take it in between.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    process = subprocess.Popen(["socat", f"TCP-LISTEN:{port},fork,reuseaddr,bind=127.0.0.1",
                                f"TCP:127.0.0.1:{upstream_port}"])
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise SystemExit(f"socat exited with {process.returncode}")
            probe = socket.socket()
            try:
                probe.connect(("127.0.0.1", port))
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise SystemExit("socat did not listen within 10 s")
                time.sleep(0.01)
            finally:
                probe.close()
    finally:
        holder.close()
    # The probe connection made socat fork a child; let it be reaped before anything is counted.
    deadline = time.monotonic() + 5
    while has_children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.005)
    return Path("socat", port, [process], forks=True)


def run_load(load_bin: str, *arguments: str) -> Dict[str, float]:
    done = subprocess.run([load_bin, *arguments], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"pfd-relay-load {' '.join(arguments)} failed: {done.stderr.strip()}")
    return {key: float(value) for key, value in
            (pair.split("=") for pair in done.stdout.split())}


class Figures:
    def __init__(self) -> None:
        self.upload: List[float] = []    # MiB/s, one per run
        self.download: List[float] = []
        self.cpu_per_gib: List[float] = []
        self.latencies: List[float] = []  # µs, every round trip of every batch
        self.latency_cpu = 0.0  # seconds of the relay's CPU over all latency batches
        self.latency_trips = 0  # round trips in them, the unmeasured warm-up ones included


def percentile(samples: List[float], fraction: float) -> Optional[float]:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(args: argparse.Namespace, paths: List[Path], scratch: str) -> Dict[str, Figures]:
    figures = {path.name: Figures() for path in paths}
    # Everything interleaves the paths, so that a machine that gets busier for a while (other
    # builds on a shared 2-core VM) hurts all of them alike: throughput run by run, latency in
    # --batches short batches per run whose samples are pooled.
    for run in range(args.runs):
        for path in paths:
            for direction, into in (("upload", figures[path.name].upload),
                                    ("download", figures[path.name].download)):
                before = path.cpu()
                result = run_load(args.load_bin, direction, str(path.port), str(args.bytes))
                after = path.cpu()
                into.append(args.bytes / MIB / result["seconds"])
                if before is not None and after is not None:
                    figures[path.name].cpu_per_gib.append((after - before) / (args.bytes / GIB))
            print(f"  run {run + 1}/{args.runs} {path.name}: "
                  f"up {figures[path.name].upload[-1]:.0f} MiB/s, "
                  f"down {figures[path.name].download[-1]:.0f} MiB/s", flush=True)
        per_batch = max(1, args.round_trips // args.batches)
        for _ in range(args.batches):
            for path in paths:
                samples = os.path.join(scratch, "samples")
                before = path.cpu()
                run_load(args.load_bin, "latency", str(path.port), str(per_batch),
                         str(args.message_size), samples)
                after = path.cpu()
                if before is not None and after is not None:
                    figures[path.name].latency_cpu += after - before
                    # The load client also makes per_batch / 10 unmeasured round trips first.
                    figures[path.name].latency_trips += per_batch + per_batch // 10
                with open(samples) as lines:
                    figures[path.name].latencies.extend(float(line) for line in lines)
        for path in paths:
            latencies = figures[path.name].latencies
            print(f"  run {run + 1}/{args.runs} {path.name}: {len(latencies)} round trips so far, "
                  f"p50 {percentile(latencies, 0.5):.1f} us", flush=True)
    return figures


def median(values: List[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def cpu_per_trip(figures: Figures) -> Optional[float]:
    # Over all batches together: one batch lasts a few of the 10 ms ticks /proc counts in.
    if figures.latency_trips == 0:
        return None
    return figures.latency_cpu * 1e6 / figures.latency_trips


def p50(figures: Figures) -> float:
    return percentile(figures.latencies, 0.5)


def p99(figures: Figures) -> float:
    return percentile(figures.latencies, 0.99)


def text(value: Optional[float], digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(args: argparse.Namespace, paths: List[Path], figures: Dict[str, Figures],
           via: str, socat: Optional[str]) -> List[str]:
    direct = figures["direct"]
    header = ["path", "upload MiB/s", "download MiB/s", "CPU s/GiB", "p50 us", "p99 us",
              "added p50 us", "added p99 us", "CPU us/trip"]
    rows = []
    for path in paths:
        f = figures[path.name]
        added50 = None if path.name == "direct" else p50(f) - p50(direct)
        added99 = None if path.name == "direct" else p99(f) - p99(direct)
        rows.append([path.name, text(median(f.upload)), text(median(f.download)),
                     text(median(f.cpu_per_gib), 2), text(p50(f), 1), text(p99(f), 1),
                     text(added50, 1), text(added99, 1), text(cpu_per_trip(f), 1)])
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    print(f"\nThroughput: one connection, {args.bytes / MIB:.0f} MiB each way, median of "
          f"{args.runs} run(s). Latency: {len(direct.latencies)} round trips of "
          f"{args.message_size} bytes per path ({args.runs} x {args.round_trips}, in batches).")
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())

    missed = []
    if socat is None:
        print("\nsocat is not installed: no targets checked (scripts/install-deps.sh installs it)")
        return missed
    relay, other = figures[via], figures[socat]
    checks = [
        ("upload throughput >= 1.0 x socat",
         median(relay.upload) / median(other.upload), lambda ratio: ratio >= 1.0, "{:.2f}x"),
        ("download throughput >= 1.0 x socat",
         median(relay.download) / median(other.download), lambda ratio: ratio >= 1.0, "{:.2f}x"),
        ("added p50 latency <= socat's",
         (p50(relay) - p50(direct)) - (p50(other) - p50(direct)),
         lambda difference: difference <= 0, "{:+.1f} us vs socat"),
    ]
    print()
    for name, value, met, form in checks:
        verdict = "ok" if met(value) else "MISSED"
        if verdict == "MISSED":
            missed.append(name)
        print(f"{name:<36} {form.format(value):<20} {verdict}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--via", choices=sorted(VIAS), default="hop",
                        help="the relay under test (default: hop, pfd-relay-hop)")
    parser.add_argument("--bytes", type=int, default=GIB, help="bytes per throughput run")
    parser.add_argument("--runs", type=int, default=3, help="runs per path (median reported)")
    parser.add_argument("--round-trips", type=int, default=20000)
    parser.add_argument("--message-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=10,
                        help="latency batches per run, interleaved across the paths")
    parser.add_argument("--replay-buffer", type=int, default=64 * 1024,
                        help="the hop's replay buffer (pfd's default: 64 KiB)")
    parser.add_argument("--baseline-hop", metavar="BIN",
                        help="also measure another build's pfd-relay-hop (e.g. main's)")
    parser.add_argument("--tap", choices=["reading", "stalled"],
                        help="with --via daemon: also measure a forward with pfctl tap attached")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 64 MiB, 2000 round trips, one run")
    parser.add_argument("--build-dir", default=os.path.join(BENCH_DIR, "..", "build"))
    parser.add_argument("--enforce-targets", action="store_true",
                        help="exit 1 when a figure misses its target (default: only report)")
    args = parser.parse_args()
    if args.tap and args.via != "daemon":
        parser.error("--tap needs --via daemon")
    if args.quick:
        args.bytes, args.round_trips, args.runs, args.batches = 64 * MIB, 2000, 1, 2
    args.hop_bin = os.environ.get("PFD_RELAY_HOP") or os.path.join(args.build_dir, "bench",
                                                                    "pfd-relay-hop")
    args.load_bin = os.environ.get("PFD_RELAY_LOAD") or os.path.join(args.build_dir, "bench",
                                                                      "pfd-relay-load")
    for binary in (args.hop_bin, args.load_bin):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"{binary} is missing: cmake --build build --target pfd-relay-hop "
                             "pfd-relay-load (or set PFD_RELAY_HOP / PFD_RELAY_LOAD)")

    upstream = subprocess.Popen([args.load_bin, "serve"], stdout=subprocess.PIPE, text=True)
    paths: List[Path] = []
    try:
        upstream_port = read_port(upstream, "pfd-relay-load serve")
        paths.append(Path("direct", upstream_port))
        socat_name = None
        if subprocess.run(["sh", "-c", "command -v socat"], capture_output=True).returncode == 0:
            paths.append(start_socat(upstream_port))
            socat_name = paths[-1].name
        relay_paths = VIAS[args.via](args, upstream_port)
        relay_path = relay_paths[0]
        paths += relay_paths
        if args.baseline_hop:
            # Another build's hop beside this one, interleaved: what a change to the relay costs.
            hop = subprocess.Popen([args.baseline_hop, str(upstream_port), str(args.replay_buffer)],
                                   stdout=subprocess.PIPE, text=True)
            paths.append(Path("baseline relay (hop)", read_port(hop, "the baseline hop"), [hop]))
        with tempfile.TemporaryDirectory(prefix="pfd-relay-bench-") as scratch:
            figures = measure(args, paths, scratch)
        missed = report(args, paths, figures, relay_path.name, socat_name)
    finally:
        for path in paths:
            path.stop()
        upstream.terminate()
        upstream.wait()
    return 1 if missed and args.enforce_targets else 0


if __name__ == "__main__":
    sys.exit(main())
