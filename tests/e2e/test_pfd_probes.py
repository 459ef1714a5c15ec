"""Readiness probes through real kubectl tunnels meet what pods do (scenarios 7 and the probe half
of 8 of the end-to-end suite, with the backends' /healthz switch):

* the app answers /healthz with 500: the forward turns UNHEALTHY with the probe's own words, its
  kubectl is replaced, and it is READY again once /healthz answers 200;
* the app in the pod is not listening: the probe's own connection through the tunnel is refused
  inside the pod, which makes kubectl (>= 1.23) exit; pfd must say "app not listening on port N
  in pod X" and back off with growing delays, not report a generic crash or spin."""

from __future__ import annotations

import re

import pytest

from conftest import RequestLoop, kube_forward, pfd_config, reserve_ports
from pfd_harness import wait_for_exit

BACKOFF_LINE = re.compile(r"\bweb: \w+ -> BACKOFF: (?P<reason>.*); retrying in (?P<delay>\S+)$")


def seconds(delay: str) -> float:
    """pfd's formatted delay ("100ms", "1.6s", "2m", "1m30s") in seconds."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", delay):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def backoffs(pfd, count: int, since: int) -> list[re.Match]:
    """The first `count` BACKOFF transitions of `web` logged after line `since`, waiting for them."""
    while True:
        lines = pfd.log.lines()
        found = [m for m in map(BACKOFF_LINE.search, lines[since:]) if m]
        if len(found) >= count:
            return found[:count]
        pfd.wait_for_log(BACKOFF_LINE.pattern, since=len(lines), timeout=30)


def test_healthz_answering_500_makes_the_forward_unhealthy_and_restarted_until_it_answers_200(
    cluster, make_pfd
):
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    probe = {"httpGet": {"path": "/healthz"}, "periodSeconds": 1, "timeoutSeconds": 1,
             "failureThreshold": 1}
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", readiness=probe)))
    pfd.wait_for_state("web", "READY")
    old_pid = pfd.forward("web")["pid"]
    mark = pfd.mark()

    cluster.set_healthy(pod, False)

    unhealthy = pfd.wait_for_state("web", "UNHEALTHY", since=mark)
    assert unhealthy["reason"].startswith("readiness probe failed: HTTP 500 from /healthz"), \
        unhealthy["reason"]
    assert wait_for_exit(old_pid), "the unhealthy forward's kubectl must be replaced"
    restarted = int(pfd.wait_for_log(r"\bweb: started pid (\d+)", since=mark)[1])
    assert restarted != old_pid
    forward = pfd.forward("web")
    assert forward["state"] != "FORWARD_STATE_READY", "not READY while /healthz answers 500"

    back = pfd.mark()
    cluster.set_healthy(pod, True)
    pfd.wait_for_state("web", "READY", since=back)
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_READY"
    assert forward["pid"] != old_pid
    assert forward["readiness"]["success"] is True
    assert forward["readiness"]["message"] == "HTTP 200"
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda answer: answer == pod) == pod


@pytest.mark.parametrize("handler", ["tcpSocket", "httpGet"])
def test_probe_into_a_pod_whose_app_is_not_listening_says_so_and_backs_off_with_growing_delays(
    cluster, make_pfd, handler
):
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    cluster.stop_backend(pod)  # the pod runs, but nothing in it listens on 8080
    (port,) = reserve_ports(1)
    probe = {handler: {"path": "/healthz"} if handler == "httpGet" else {},
             "periodSeconds": 1, "timeoutSeconds": 1}
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", readiness=probe)))

    found = backoffs(pfd, 3, since=0)

    expected = f"app not listening on port 8080 in pod {pod}"
    for match in found:
        assert match["reason"].startswith(expected), match["reason"]
    delays = [seconds(match["delay"]) for match in found]
    assert delays == sorted(delays) and delays[0] < delays[-1], f"growing delays: {delays}"
    forward = pfd.forward("web")
    assert expected in forward["lastError"], forward["lastError"]
    table = pfd.pfctl_ok("status", "web")
    assert "BACKOFF" in table and expected in table, table

    mark = pfd.mark()
    cluster.start_backend(pod)
    pfd.wait_for_state("web", "READY", since=mark, timeout=30)
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda answer: answer == pod) == pod
