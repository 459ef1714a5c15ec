"""The API server goes away for 10 s, refusing connections or accepting them and never answering
(scenario 5 of the end-to-end suite): pfd backs off with a reason that says the API server is
unreachable, and once the server is back the forward is READY again within one backoff step.

The outage is held for a fixed OUTAGE_SECONDS, as the scenario says (a duration of the scenario,
not a wait for something). The server comes back while the forward is in BACKOFF, so no start that
began during the outage is still under way; the bound on the recovery is then computed from what
pfd itself reports at that moment:

    READY by  nextRetryTime (pfctl status -o json, read as the server returns)
              + startTimeout (the longest one kubectl start may take before pfd calls it failed)

That is "within one backoff step": the retry already scheduled must succeed. Had it failed, the
next attempt would come one more (doubled) step later. After 10 s of outage the step is at least
4 s in both tests (1 s and 2 s doubling, no jitter), so that next step is at least 8 s, longer
than startTimeout (4 s and 6 s): a recovery that needs a second retry cannot meet the bound.
Nothing else about wall-clock time is asserted."""

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


def wait_for_unreachable_backoff(pfd, since: int, timeout: float) -> str:
    """The reason of the first BACKOFF after `since` that says the API server is unreachable.
    (The first BACKOFF may be the cut session, "lost connection to pod"; the restarts after it
    must say why they cannot work.)"""
    return pfd.wait_for_log(rf"\bweb: \w+ -> BACKOFF: (?P<reason>.*{UNREACHABLE}.*)$",
                            since=since, timeout=timeout)["reason"]


def hold_outage(pfd, began: float) -> None:
    """The outage lasts OUTAGE_SECONDS from `began` (monotonic); pfd keeps saying why it cannot
    start all along."""
    remaining = began + OUTAGE_SECONDS - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)  # the scenario's fixed outage, not a synchronisation
    forward = pfd.forward("web")
    assert re.search(UNREACHABLE, forward["lastError"]), forward["lastError"]


def bring_back_while_backing_off(pfd, bring_back) -> tuple[int, float]:
    """Brings the API server back at a moment the forward is in BACKOFF (waiting for the next
    BACKOFF transition if a start is under way); returns the log mark taken then and the
    forward's nextRetryTime as `pfctl status -o json` reported it at that moment."""
    while True:
        mark = pfd.mark()
        forward = pfd.forward("web")
        if forward["state"] == "FORWARD_STATE_BACKOFF" and forward.get("nextRetryTime"):
            retry_at = parse_timestamp(forward["nextRetryTime"])
            # A retry due right now could start before the server is back; wait for the next.
            if retry_at - time.time() > 0.25:
                bring_back()
                return mark, retry_at
        pfd.wait_for_log(r"\bweb: \w+ -> BACKOFF: ", since=mark, timeout=60)


def assert_ready_within_one_step(pfd, mark: int, retry_at: float, start_timeout: float) -> None:
    deadline = retry_at + start_timeout
    pfd.wait_for_state("web", "READY", since=mark, timeout=max(deadline - time.time(), 0.1))
    states = [m["state"] for m in map(TRANSITION.search, pfd.log.lines()[mark:]) if m]
    assert states[: states.index("READY") + 1] == ["STARTING", "READY"], states


def test_api_server_refusing_connections_for_10s_backs_off_as_unreachable_then_recovers(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    start_timeout = 4
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        startTimeout=f"{start_timeout}s", requestTimeout="2s", backoff=STEP_BACKOFF,
    ))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()

    cluster.api_down()  # also cuts the forward's session: kubectl ends at once
    began = time.monotonic()

    reason = wait_for_unreachable_backoff(pfd, mark, timeout=30)
    assert str(cluster.port) in reason, reason
    hold_outage(pfd, began)
    back, retry_at = bring_back_while_backing_off(pfd, cluster.api_up)

    assert_ready_within_one_step(pfd, back, retry_at, start_timeout)
    assert http_get(port) in pods


def test_api_server_that_accepts_but_never_answers_for_10s_backs_off_as_unreachable_then_recovers(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    # requestTimeout bounds each API request kubectl makes; startTimeout bounds the whole
    # start, whatever hangs.
    start_timeout = 6
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
        startTimeout=f"{start_timeout}s", requestTimeout="1s",
        backoff={**STEP_BACKOFF, "initial": "2s", "max": "32s"},
    ))
    pfd.wait_for_state("web", "READY")
    cluster.api_hang(True)
    began = time.monotonic()
    # An established forward needs no API request: it keeps serving while the server hangs.
    assert http_get(port) in pods
    mark = pfd.mark()

    pfd.pfctl_ok("restart", "web")  # the user restarts it during the outage

    wait_for_unreachable_backoff(pfd, mark, timeout=60)
    hold_outage(pfd, began)
    back, retry_at = bring_back_while_backing_off(pfd, lambda: cluster.api_hang(False))

    assert_ready_within_one_step(pfd, back, retry_at, start_timeout)
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda pod: pod in pods)
