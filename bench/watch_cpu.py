#!/usr/bin/env python3
"""`pfctl watch`, the live table on a terminal, while 200 forwards change state every second:
the CPU it uses (its own process, every thread), how often it redraws, and how long a change
takes to reach the screen.

  PFD_BIN=build/daemon/pfd PFCTL_BIN=build/client/pfctl \\
      /usr/bin/python3 bench/watch_cpu.py [--quick] [--seconds S] [--forwards N]

pfd runs N forwards with held ports and `start: onDemand` on `pod/` targets: IDLE, ports bound,
no kubectl and no pod watch, so the state changes cost pfd little and start no process. Once all
are IDLE, `pfctl watch` starts on a pseudo-terminal (120x40) whose output a thread reads into a
screen model (tests/harness/pty_screen.py). Every second the script rewrites the config with
every forward disabled, then enabled again the next second, and runs `pfctl reload`: N forwards
go STOPPED, then IDLE again, every second. After each reload it waits for the footer to read
"N stopped" (or "N idle"); the time from starting `pfctl reload` to that frame is the "change on
screen" figure (it includes pfctl reload's own start-up and the daemon's reconcile).

(Command forwards stopped and started with `pfctl stop/start --all` would start 200 children a
second, and pfd's check that a command's port is free walks /proc for each start, which on this
machine lets only about 20 start a second: the bench would measure pfd, not pfctl.)

Target (issue 16): pfctl watch CPU <= 5 % of one core.
"""
import os
import subprocess
import sys
import time

from daemon_harness import (Table, common_arguments, cpu_seconds, environment_line, finish,
                            forward_names, percentile, reserve_ports, start_pfd, stop_pfd, wait_all)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "harness"))
from pty_screen import PtyProgram  # noqa: E402


def idle_config(names, ports, enabled: bool) -> str:
    lines = ["reloadOnChange: false", "forwards:"]
    for name, port in zip(names, ports):
        lines += [f"  - name: {name}", f"    target: pod/{name}", f'    ports: ["{port}:80"]',
                  "    start: onDemand", f"    enabled: {'true' if enabled else 'false'}"]
    return "\n".join(lines) + "\n"


def reload(pfd, names, ports, enabled: bool) -> None:
    pfd.write_config(idle_config(names, ports, enabled))
    subprocess.run([pfd.pfctl_bin, "--socket", pfd.socket, "reload"], env=pfd.env, check=True,
                   capture_output=True, timeout=60)


def main() -> int:
    args = common_arguments(__doc__, seconds=60, quick_seconds=6, forwards=200)
    print(environment_line())
    pfd = None
    program = None
    shown = []
    try:
        names = forward_names(args.forwards)
        ports = reserve_ports(args.forwards)
        pfd = start_pfd(idle_config(names, ports, True))
        wait_all(pfd, names, r"\b{name}: \w+ -> IDLE:")
        env = dict(pfd.env, TERM="xterm-256color")
        env.pop("NO_COLOR", None)
        program = PtyProgram([pfd.pfctl_bin, "--socket", pfd.socket, "watch"], env,
                             columns=120, rows=40)
        total = args.forwards
        program.wait_for(lambda s: s.text()[-1].startswith(f"{total} idle"), timeout=60,
                         what=f"{total} idle")
        print(f"all {total} IDLE; pfctl watch up; {args.seconds:g} s of toggling ...",
              flush=True)
        cpu_start = cpu_seconds(program.pid)
        bytes_start = len(program.output())
        frames_start = program.output().count(b"\x1b[H")
        wall_start = time.monotonic()
        tick = wall_start
        enabled = False
        while time.monotonic() - wall_start < args.seconds:
            started = time.monotonic()
            reload(pfd, names, ports, enabled)
            footer = f"{total} idle" if enabled else f"{total} stopped"
            at = program.wait_for(lambda s: s.text()[-1].startswith(footer), timeout=30,
                                  what=footer)
            shown.append(at - started)
            enabled = not enabled
            tick += 1.0
            time.sleep(max(0.0, tick - time.monotonic()))  # the bench's own pace, one a second
        wall = time.monotonic() - wall_start
        cpu = cpu_seconds(program.pid) - cpu_start
        output = program.output()
        frames = output.count(b"\x1b[H") - frames_start
        written = len(output) - bytes_start
        program.send("q")
        program.wait_exit()
    finally:
        if program is not None:
            program.close()
        if pfd is not None:
            stop_pfd(pfd)

    percent = 100.0 * cpu / wall
    table = Table(f"pfctl watch on a 120x40 terminal, {args.forwards} forwards going STOPPED and "
                  f"IDLE in turn every second ({'quick, ' if args.quick else ''}{wall:.0f} s)")
    table.add("pfctl watch CPU (utime+stime)",
              f"{percent:.2f} % of one core ({cpu * 1000:.0f} ms in {wall:.1f} s)", "<= 5 %",
              percent <= 5)
    table.add("frames drawn", f"{frames} ({frames / wall:.1f}/s)")
    table.add("bytes written to the terminal", f"{written / wall / 1000:.1f} kB/s")
    table.add(f"pfctl reload -> footer shows all {args.forwards}, p50 of {len(shown)}",
              f"{percentile(shown, 0.5) * 1000:.0f} ms")
    table.add("  p95", f"{percentile(shown, 0.95) * 1000:.0f} ms")
    return finish(table, args)


if __name__ == "__main__":
    sys.exit(main())
