"""Zero failed requests through pod deletions and rollouts, repeated back to back.

A client issues a request every 10 ms (20 ms at 50 requests/s for rollouts) through pfd's held
port the whole time. Pods are deleted a few hundred ms apart, with kubectl's session closed at
once or left open (the usual real case: kubectl only learns the pod is gone when a connection
through it fails, and then ends the whole port-forward), with one replica and with two; then
rollouts come 3 s apart with the old pods serving through their grace period. pfd switches pods
make-before-break, holds what arrives while no kubectl serves, and replays what kubectl could not
deliver. Every failed request is a failure of the test; the figures go to the e2e summary."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from conftest import RequestLoop, http_get, kube_forward, pfd_config, reserve_ports
from pfd_harness import LineLog

DELETIONS = 20
ROLLOUTS = 10


def backoffs(pfd, name: str, since: int) -> list[str]:
    return [line for line in pfd.log.lines()[since:] if f"{name}: " in line and "-> BACKOFF" in line]


@pytest.mark.parametrize("replicas", [1, 2], ids=["1-replica", "2-replicas"])
@pytest.mark.parametrize("close_sessions", [False, True], ids=["session-kept", "session-closed"])
def test_pods_deleted_back_to_back_fail_no_request(cluster, make_pfd, replicas, close_sessions,
                                                   report_figure):
    cluster.add_deployment("web", replicas=replicas, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()
    answered_by = []

    with RequestLoop(port, request_timeout=15, pause=0.01) as client:
        for deletion in range(DELETIONS):
            serving = pfd.forward("web")["pod"]
            assert serving, "pfctl status names the pod"
            client.wait_for_answer(lambda pod, serving=serving: pod == serving,
                                   since=client.mark())
            since = client.mark()
            cluster.delete_pod(serving, close_sessions=close_sessions)
            answered_by.append(client.wait_for_answer(lambda pod, serving=serving: pod != serving,
                                                      since=since))
            time.sleep(0.3)  # the scenario's pace: deletions a few hundred ms apart
        requests = len(client.answers) + client.failures

    mode = "session closed" if close_sessions else "session kept"
    report_figure(f"{DELETIONS} pod deletions ({mode}, {replicas} replica(s)), a request every "
                  f"10 ms: {client.failures} of {requests} requests failed")
    assert client.failures == 0, client.errors[:5]
    assert backoffs(pfd, "web", mark) == [], "\n".join(pfd.log.lines()[mark:])
    assert int(pfd.forward("web")["connections"]["failed"]) == 0
    assert len(set(answered_by)) == DELETIONS, "every deletion moved the forward to a new pod"


def test_rollouts_in_a_row_fail_no_request_and_slow_requests_finish_on_the_old_pod(
    cluster, make_pfd, report_figure
):
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()
    slow_results: list[tuple[str, str]] = []
    slow_errors: list[str] = []

    def slow_request(expected_pod: str) -> None:
        try:
            slow_results.append((expected_pod, http_get(port, "/slow?ms=1500", timeout=15)))
        except OSError as error:
            slow_errors.append(f"{type(error).__name__}: {error}")

    with RequestLoop(port, request_timeout=15, pause=0.02) as client:
        for rollout in range(ROLLOUTS):
            serving = pfd.forward("web")["pod"]
            client.wait_for_answer(lambda pod, serving=serving: pod == serving,
                                   since=client.mark())
            slow = threading.Thread(target=slow_request, args=(serving,))
            slow.start()
            assert cluster.backend(serving).wait_for_slow_requests(1), "in flight on its pod"
            since = client.mark()
            new_pods = cluster.rollout("web", grace=5)
            client.wait_for_answer(lambda pod, new_pods=new_pods: pod in new_pods, since=since)
            slow.join(20)
            time.sleep(1.5)  # the scenario's pace: rollouts 3 s apart, not a synchronisation
        requests = len(client.answers) + client.failures

    report_figure(f"{ROLLOUTS} rollouts 3 s apart at 50 requests/s: {client.failures} of "
                  f"{requests} requests failed; {len(slow_results)} of {ROLLOUTS} slow requests "
                  f"in flight finished on their pod")
    assert client.failures == 0, client.errors[:5]
    assert slow_errors == [], slow_errors
    assert all(expected == answer for expected, answer in slow_results), slow_results
    assert len(slow_results) == ROLLOUTS
    assert backoffs(pfd, "web", mark) == []
    switches = [line for line in pfd.log.lines()[mark:] if "web: switched from pod" in line]
    assert len(switches) >= ROLLOUTS, switches


def test_a_switch_in_progress_shows_in_status_and_watch_as_one_event(cluster, make_pfd):
    """A rollout whose new pods are not Ready yet: the old pod keeps serving and status shows the
    switch waiting for a pod; once they are Ready the switch completes, `pfctl watch` shows it as
    one event with its reason, and a request still open on the old pod shows as draining."""
    old_pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    watch = subprocess.Popen([pfd.pfctl_bin, "--socket", pfd.socket, "watch", "web"],
                             stdout=subprocess.PIPE, env=pfd.env)
    try:
        lines = LineLog(watch.stdout)
        lines.wait_for(r"\bweb\b.*READY")  # the initial row
        mark = pfd.mark()
        new_pods = cluster.rollout("web", grace=30, new_pods_ready=False)
        pfd.wait_for_log(r"web: no other Ready pod of deployment/web yet", since=mark)
        forward = pfd.forward("web")
        assert forward["state"] == "FORWARD_STATE_READY"
        assert forward["switch"]["fromPod"] == old_pods[0], forward
        assert not forward["switch"].get("toPod"), forward
        assert f"{old_pods[0]} -> (no Ready pod yet)" in pfd.pfctl_ok("status", "web")

        slow = []
        thread = threading.Thread(target=lambda: slow.append(
            http_get(port, "/slow?ms=3000", timeout=15)))
        thread.start()
        pfd.wait_for_log(r"Handling connection", since=mark)
        cluster.set_ready(new_pods[0], True)
        switched = pfd.wait_for_log(r"web: switched from pod (?P<text>.*)$", since=mark)
        assert f"{old_pods[0]} to pod {new_pods[0]}" in switched["text"], switched["text"]
        assert "1 connection draining" in switched["text"], switched["text"]
        draining = pfd.forward("web").get("draining", [])
        assert [d["pod"] for d in draining] == [old_pods[0]], draining
        event = lines.wait_for(r"switched from pod")
        assert "READY" in event.string, event.string
        thread.join(20)
        assert slow == [old_pods[0]], "the request in flight finished on its old pod"
    finally:
        watch.terminate()
        watch.wait(5)
