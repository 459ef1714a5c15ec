"""What pfd says about a forward that is not simply fine: RBAC refusing the port-forward names
the missing verb and resource, a pod that runs but is not Ready is forwarded to with a note (in
status and describe), kubectl's "Handling connection" lines are counted instead of filling the
log, and `pfctl watch`'s footer says when the cluster's API server is down."""

from __future__ import annotations

import json
import re
import time

from conftest import http_get, kube_forward, pfd_config, reserve_ports
from pty_screen import PtyProgram


def wait_until(condition, timeout: float = 10.0, what: str = "condition"):
    """Re-checks `condition()` (a status query) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_forbidden_port_forward_names_the_missing_verb_and_resource(cluster, make_pfd):
    cluster.add_namespace("shop")
    cluster.add_deployment("web", ns="shop", ports={"http": 8080})
    cluster.forbid(resource="pods/portforward", namespace="shop")
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", namespace="shop")))

    expected = "your user cannot create pods/portforward in namespace shop (RBAC)"
    match = pfd.wait_for_state("web", "BACKOFF")
    assert expected in match["reason"], match["reason"]
    assert expected in pfd.forward("web")["lastError"]
    assert expected in pfd.pfctl_ok("status", "web")

    mark = pfd.mark()
    cluster.allow_all()
    pfd.wait_for_state("web", "READY", since=mark, timeout=30)


def test_a_running_pod_that_is_not_ready_is_forwarded_to_and_says_so(cluster, make_pfd):
    (pod,) = cluster.add_deployment("web", ports={"http": 8080})
    cluster.set_ready(pod, False)
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))

    pfd.wait_for_state("web", "READY")
    note = f"pod {pod} is not Ready; forwarding anyway"
    pfd.wait_for_log(rf"web: {note}")
    forward = pfd.forward("web")
    assert forward["pod"] == pod
    assert forward["note"] == note
    assert note in pfd.pfctl_ok("status")
    describe = pfd.pfctl_ok("describe", "web")
    assert re.search(rf"^  Note: +{re.escape(note)}$", describe, re.MULTILINE), describe
    assert json.loads(pfd.pfctl_ok("describe", "web", "-o", "json"))["forward"]["note"] == note
    assert http_get(port) == pod

    cluster.set_ready(pod, True)
    wait_until(lambda: pfd.forward("web")["note"] == "", what="the note to clear once Ready")
    assert "Note:" not in pfd.pfctl_ok("describe", "web")


def test_kubectl_connection_lines_are_counted_not_logged(cluster, make_pfd):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")

    for _ in range(5):
        http_get(port)
    wait_until(lambda: int(pfd.forward("web")["kubectlConnections"]) >= 5,
               what="five Handling connection lines")
    logs = pfd.pfctl_ok("logs", "web")
    assert "Handling connection" not in logs, logs
    assert "Forwarding from" in logs


def test_the_live_view_footer_says_the_cluster_is_down_until_it_answers(cluster, make_pfd):
    cluster.add_deployment("web", ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    env = dict(pfd.env, TERM="xterm-256color", NO_COLOR="1")
    program = PtyProgram([pfd.pfctl_bin, "--socket", pfd.socket, "watch"], env, columns=200,
                         rows=8)
    try:
        program.wait_text(r"^1 ready$")
        mark = pfd.mark()
        cluster.api_down()
        pfd.wait_for_log(r"\bAPI server unreachable \(context fake-a\)", since=mark, timeout=60)
        # The footer's last line: the totals, then the cluster (refreshed every second).
        program.wait_text(r"^\d+ \w+   cluster fake-a down for \d+s: .+ "
                          r"\(next check (in \S+|now)\)$", timeout=30)
        cluster.api_up()
        pfd.wait_for_state("web", "READY", since=mark, timeout=60)
        program.wait_text(r"^1 ready$", timeout=30)
        assert not any("cluster fake-a" in line for line in program.screen.text())
        program.send("q")
        assert program.wait_exit() == 0
    finally:
        program.close()
