"""Mistakes a user makes in the config: each shows one actionable line in `pfctl status` (LAST
ERROR) and backs off with growing delays, or is FAILED when retrying cannot help (scenario 6 of
the end-to-end suite)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import kube_forward, pfd_config, reserve_ports

TRANSITION = re.compile(r"\bweb: \w+ -> (?P<state>\w+): ")
RETRY = re.compile(r"retrying in (?P<delay>[\d.]+)(?P<unit>ms|s)\b")


def delay_ms(reason: str) -> float:
    match = RETRY.search(reason)
    assert match, f"a BACKOFF reason says when it retries: {reason}"
    return float(match["delay"]) * (1 if match["unit"] == "ms" else 1000)


def assert_backs_off_with_growing_delays(pfd, name: str, expected: str) -> str:
    """Three BACKOFFs in a row whose delays grow (FAST_BACKOFF: 100ms doubling, no jitter), each
    with the same one-line reason containing `expected`; returns that reason."""
    reasons = []
    since = 0
    for _ in range(3):
        match = pfd.wait_for_state(name, "BACKOFF", since=since, timeout=30)
        reasons.append(match["reason"])
        since = pfd.mark()
    delays = [delay_ms(r) for r in reasons]
    assert delays == sorted(delays) and delays[0] < delays[-1], f"not growing: {reasons}"
    reason = RETRY.split(reasons[-1])[0].rstrip("; ")
    assert expected in reason, reason
    forward = pfd.forward(name)
    assert forward["state"] in ("FORWARD_STATE_BACKOFF", "FORWARD_STATE_STARTING")
    assert expected in forward["lastError"]
    assert "\n" not in forward["lastError"]
    table = pfd.pfctl_ok("status", name)
    assert expected in table, table
    return reason


def test_deployment_not_found_names_it_and_backs_off(cluster, make_pfd):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/wbe", f"{port}:8080")))

    assert_backs_off_with_growing_delays(pfd, "web", 'deployments.apps "wbe" not found')


def test_namespace_not_found_names_it_and_backs_off(cluster, make_pfd):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", namespace="shpo")))

    assert_backs_off_with_growing_delays(pfd, "web", 'namespaces "shpo" not found')


def test_unknown_context_names_it_and_backs_off(cluster, make_pfd):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", context="fake-c")))

    reason = assert_backs_off_with_growing_delays(pfd, "web", "fake-c")
    assert "context" in reason, reason


def test_kubectl_path_that_does_not_exist_fails_without_retrying(cluster, make_pfd):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        kubectl="/nonexistent/kubectl"))

    failed = pfd.wait_for_state("web", "FAILED")

    assert "/nonexistent/kubectl" in failed["reason"], failed["reason"]
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_FAILED"
    assert "/nonexistent/kubectl" in forward["lastError"]
    assert "\n" not in forward["lastError"]
    assert forward.get("pid", 0) == 0
    assert "/nonexistent/kubectl" in pfd.pfctl_ok("status", "web")
    states = [m["state"] for m in map(TRANSITION.search, pfd.log.lines()) if m]
    assert states == ["STARTING", "FAILED"], f"FAILED is final, no retry: {states}"


def test_kubectl_missing_from_path_fails_without_retrying(cluster, make_pfd, tmp_path):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    pfd = make_pfd(
        pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
                   kubectl="kubectl"),
        extra_env={"PATH": str(empty_bin)},
    )

    failed = pfd.wait_for_state("web", "FAILED")

    assert "kubectl" in failed["reason"] and "PATH" in failed["reason"], failed["reason"]
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_FAILED"
    assert "\n" not in forward["lastError"]
    assert "kubectl" in pfd.pfctl_ok("status", "web")


@pytest.fixture
def port_holder():
    """A separate process (python3) listening on a local port: the holder pfd must name."""
    started = []

    def start(port: int) -> subprocess.Popen:
        holder = subprocess.Popen(
            ["/usr/bin/python3", "-c",
             "import socket, sys\n"
             "s = socket.socket()\n"
             f"s.bind(('127.0.0.1', {port}))\n"
             "s.listen()\n"
             "print('listening', flush=True)\n"
             "sys.stdin.read()\n"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(holder)
        assert holder.stdout.readline().strip() == "listening"
        return holder

    yield start
    for holder in started:
        holder.kill()
        holder.wait()


def test_local_port_taken_names_the_port_and_the_holder_process_and_backs_off(
    cluster, make_pfd, port_holder
):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    holder = port_holder(port)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))

    reason = assert_backs_off_with_growing_delays(pfd, "web", str(port))

    assert str(holder.pid) in reason, f"the holder's pid {holder.pid} is not named: {reason}"
    assert os.path.basename(sys.executable) in reason or "python3" in reason, reason
