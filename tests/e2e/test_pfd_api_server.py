"""The API server goes away for 10 s, refusing connections or accepting them and never answering
(scenario 5 of the end-to-end suite): the forward waits on its cluster, whose check says the API
server is unreachable, and once the server is back the forward's first start makes it READY.

The outage is held for a fixed OUTAGE_SECONDS, as the scenario says (a duration of the scenario,
not a wait for something). While it lasts, the forward is in BACKOFF waiting for the cluster (no
backoff timer of its own: its next retry is the cluster's next check, a quarter second away
however long the outage), and the cluster logs one warning. Once the server answers, the forward
goes STARTING -> READY with no BACKOFF in between: the start that follows the return is the one
that works. (test_pfd_cluster_outage.py does the same with 20 forwards and counts the kubectl
processes.)"""

from __future__ import annotations

import datetime
import re
import time

from conftest import RequestLoop, http_get, kube_forward, pfd_config, reserve_ports

TRANSITION = re.compile(r"\bweb: (?P<previous>\w+) -> (?P<state>\w+): (?P<reason>.*)$")
UNREACHABLE = r"(?i:API server.*unreachable|unreachable.*API server)"
OUTAGE_SECONDS = 10.0
# No jitter, so the logged and reported retry times are exact.
STEP_BACKOFF = {"initial": "1s", "max": "16s", "multiplier": 2, "jitter": 0, "resetAfter": "60s"}


def parse_timestamp(text: str) -> float:
    """A protobuf JSON Timestamp ("2026-11-25T00:50:43.123456789Z") as seconds since the epoch."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text)
    assert match, text
    whole = datetime.datetime.fromisoformat(match[1]).replace(tzinfo=datetime.timezone.utc)
    return whole.timestamp() + float("0." + (match[2] or "0"))


def wait_for_the_cluster_down(pfd, since: int, timeout: float) -> str:
    """The cluster's one warning that its API server is unreachable; returns its reason."""
    return pfd.wait_for_log(
        rf"\bAPI server unreachable \(context fake-a\): (?P<reason>.*); 1 forward waiting for it",
        since=since, timeout=timeout)["reason"]


def hold_outage(pfd, began: float) -> None:
    """The outage lasts OUTAGE_SECONDS from `began` (monotonic); all along the forward says why
    it cannot start and waits on its cluster, whose next check is never far."""
    remaining = began + OUTAGE_SECONDS - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)  # the scenario's fixed outage, not a synchronisation
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_BACKOFF", forward
    assert re.search(UNREACHABLE, forward["lastError"]), forward["lastError"]
    assert "(context fake-a)" in forward["lastError"], forward["lastError"]
    next_check = parse_timestamp(forward["nextRetryTime"]) - time.time()
    assert next_check < 2.0, f"the cluster's next check is {next_check:.2f}s away"


def assert_first_start_works(pfd, mark: int) -> None:
    pfd.wait_for_state("web", "READY", since=mark, timeout=30)
    states = [m["state"] for m in map(TRANSITION.search, pfd.log.lines()[mark:]) if m]
    assert states[: states.index("READY") + 1] == ["STARTING", "READY"], states


def test_api_server_refusing_connections_for_10s_waits_on_the_cluster_then_recovers(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        startTimeout="4s", requestTimeout="2s", backoff=STEP_BACKOFF,
    ))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()

    cluster.api_down()  # also cuts the forward's session: kubectl ends at once
    began = time.monotonic()

    reason = wait_for_the_cluster_down(pfd, mark, timeout=30)
    assert str(cluster.port) in reason, reason
    hold_outage(pfd, began)
    back = pfd.mark()
    cluster.api_up()

    assert_first_start_works(pfd, back)
    assert http_get(port) in pods


def test_api_server_that_accepts_but_never_answers_for_10s_waits_on_the_cluster_then_recovers(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    # requestTimeout bounds each API request kubectl makes; startTimeout bounds the whole
    # start, whatever hangs.
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        startTimeout="6s", requestTimeout="1s",
        backoff={**STEP_BACKOFF, "initial": "2s", "max": "32s"},
    ))
    pfd.wait_for_state("web", "READY")
    cluster.api_hang(True)
    began = time.monotonic()
    # An established forward needs no API request: it keeps serving while the server hangs.
    assert http_get(port) in pods
    mark = pfd.mark()

    pfd.pfctl_ok("restart", "web")  # the user restarts it during the outage

    wait_for_the_cluster_down(pfd, mark, timeout=60)
    hold_outage(pfd, began)
    back = pfd.mark()
    cluster.api_hang(False)

    assert_first_start_works(pfd, back)
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda pod: pod in pods)
