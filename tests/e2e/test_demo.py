"""scripts/demo.sh --check, the README's "run" command without the terminal session: the demo
cluster, pfd on config/demo.yaml (its local ports moved by PFD_DEMO_PORT_BASE to a block that
tests/harness/port_allocator.py reserved, so that they cannot collide), every forward READY,
`pfctl status`, one request through the web forward; then the demo stops everything it started,
by PID. Needs the built pfd, pfctl and pfd-exec (ctest's PFD_BIN names them); the demo's --check
mode never installs or builds anything."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from conftest import (processes_in_environment, requires_kubectl, reserve_consecutive_ports,
                      wait_for_exit)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "scripts", "demo.sh")
FORWARDS = ("web", "api", "db", "cart")

pytestmark = requires_kubectl


def build_dir() -> str:
    pfd = os.environ.get("PFD_BIN")
    if not pfd:
        pytest.skip("PFD_BIN is not set; run the tests through ctest")
    return os.path.dirname(os.path.dirname(os.path.abspath(pfd)))  # BUILD/daemon/pfd


def test_demo_check_brings_every_forward_ready_and_stops_everything(tmp_path):
    build = build_dir()
    base = reserve_consecutive_ports(len(FORWARDS)).start
    marker = f"PFD_DEMO_SMOKE={os.getpid()}-{base}"
    env = dict(os.environ, PFD_BUILD_DIR=build, PFD_DEMO_PORT_BASE=str(base), NO_COLOR="1")
    env.update([marker.split("=", 1)])
    demo = subprocess.Popen([DEMO, "--check"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, text=True)
    try:
        output, _ = demo.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        demo.send_signal(signal.SIGTERM)  # its trap stops what it started
        output, _ = demo.communicate(timeout=30)
        raise AssertionError(f"demo.sh --check did not finish:\n{output}")

    assert demo.returncode == 0, output
    for index, name in enumerate(FORWARDS):
        row = re.search(rf"^{name}\s+\S+\s+{base + index}:\d+\s+READY\s", output, re.MULTILINE)
        assert row, f"{name} is not READY on {base + index}:\n{output}"
    assert re.search(r"^answered by pod: web-\S+$", output, re.MULTILINE), output
    assert "demo check passed" in output
    leftovers = [pid for pid in processes_in_environment(marker) if not wait_for_exit(pid, 10)]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"the demo left processes behind: {leftovers}"
