"""The API server goes away for a while, refusing connections or accepting them and never
answering: pfd backs off with a reason that says so, and once the server is back the next start
succeeds (scenario 5 of the end-to-end suite). No wall-clock assertions: the sequence of states
and the reasons are the contract."""

from __future__ import annotations

import re

from conftest import RequestLoop, free_ports, http_get, kube_forward, pfd_config

TRANSITION = re.compile(r"\bweb: (?P<previous>\w+) -> (?P<state>\w+): (?P<reason>.*)$")
UNREACHABLE = r"(?i:API server.*unreachable|unreachable.*API server)"


def states_after_return(pfd, before: int, after: int) -> list[str]:
    """The states `web` entered from log line `after` up to and including the first READY, given
    that the API server came back between log lines `before` and `after`; [] when the attempt
    under way then was READY before `after`."""
    pfd.wait_for_state("web", "READY", since=before, timeout=60)
    states = []
    for index, line in enumerate(pfd.log.lines()[before:], start=before):
        match = TRANSITION.search(line)
        if not match:
            continue
        if index >= after:
            states.append(match["state"])
        if match["state"] == "READY":
            return states
    raise AssertionError("READY was logged but not found again")


def assert_next_start_succeeds(states: list[str]) -> None:
    """After the API server returns, an attempt that was already under way may still fail once;
    the first start that begins afterwards must lead to READY, not to another BACKOFF."""
    allowed = ([], ["READY"], ["STARTING", "READY"], ["BACKOFF", "STARTING", "READY"])
    assert states in allowed, f"after the API server returned: {states}"


def wait_for_unreachable_backoff(pfd, since: int, timeout: float) -> str:
    """The reason of the first BACKOFF after `since` that says the API server is unreachable.
    (The first BACKOFF may be the cut session, "lost connection to pod"; the restarts after it
    must say why they cannot work.)"""
    return pfd.wait_for_log(rf"\bweb: \w+ -> BACKOFF: (?P<reason>.*{UNREACHABLE}.*)$",
                            since=since, timeout=timeout)["reason"]


def test_api_server_refusing_connections_backs_off_as_unreachable_then_recovers(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = free_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        startTimeout="10s", requestTimeout="2s",
    ))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()

    cluster.api_down()  # also cuts the forward's session: kubectl ends at once

    reason = wait_for_unreachable_backoff(pfd, mark, timeout=30)
    assert str(cluster.port) in reason, reason
    # Down "for a while": it keeps retrying, and keeps saying why.
    wait_for_unreachable_backoff(pfd, pfd.mark(), timeout=30)
    status = pfd.forward("web")
    assert status["state"] == "FORWARD_STATE_BACKOFF"
    assert re.search(UNREACHABLE, status["lastError"]), status["lastError"]

    before = pfd.mark()
    cluster.api_up()
    assert_next_start_succeeds(states_after_return(pfd, before, pfd.mark()))
    assert http_get(port) in pods


def test_api_server_that_accepts_but_never_answers_backs_off_as_unreachable_then_recovers(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = free_ports(1)
    # requestTimeout bounds each API request kubectl makes (four discovery attempts);
    # startTimeout bounds the whole start, whatever hangs.
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        startTimeout="15s", requestTimeout="1s",
    ))
    pfd.wait_for_state("web", "READY")
    cluster.api_hang(True)
    # An established forward needs no API request: it keeps serving while the server hangs.
    assert http_get(port) in pods
    mark = pfd.mark()

    pfd.pfctl_ok("restart", "web")  # the user restarts it during the outage

    wait_for_unreachable_backoff(pfd, mark, timeout=60)
    assert re.search(UNREACHABLE, pfd.forward("web")["lastError"])

    before = pfd.mark()
    cluster.api_hang(False)
    assert_next_start_succeeds(states_after_return(pfd, before, pfd.mark()))
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda pod: pod in pods)
