"""The pod behind a forward goes away or stops serving: pfd notices and forwards to a live pod
again (scenarios 2, 3 and 7 of the end-to-end suite).

A client loop issues GET / through the local port the whole time, as a user's client would: with
the session left open (what real clusters do), kubectl itself notices nothing until a connection
fails, so the first failed request is what reveals the loss. The tests print how many requests
failed on the way (report_figure: pytest's terminal summary, and $PFD_E2E_FIGURES under
ctest); they assert the recovery, never its duration.

Without any client, kubectl notices nothing at all: pfd's own pod watch must move the forward
(the no-traffic test). A rollout stages the trap the issue describes: the old pods stay Ready and
serving while they terminate, and until the new pods are Ready kubectl's own choice is a dying
pod; pfd must end on a new pod while the old ones are still terminating."""

from __future__ import annotations

import pytest

from conftest import KUBECTL_MINOR, RequestLoop, http_get, kube_forward, pfd_config, reserve_ports


def live_pods(cluster, target: str) -> list[str]:
    return cluster.pod_names(target)


@pytest.mark.parametrize("close_sessions", [False, True], ids=["session-kept", "session-closed"])
def test_deleted_pod_is_replaced_and_requests_succeed_again_on_a_live_pod(
    cluster, make_pfd, close_sessions, report_figure
):
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    doomed = http_get(port)
    old_pid = pfd.forward("web")["pid"]
    mark = pfd.mark()

    with RequestLoop(port) as client:
        client.wait_for_answer(lambda pod: pod == doomed)
        before = client.failures
        since = client.mark()
        cluster.delete_pod(doomed, close_sessions=close_sessions)
        pfd.wait_for_serving("web", since=mark)
        answer = client.wait_for_answer(lambda pod: pod != doomed, since=since)
        failed = client.failures - before

    mode = "session closed" if close_sessions else "session kept"
    report_figure(f"pod deleted ({mode}): {failed} client requests failed before {answer} "
                  f"answered")
    assert answer in live_pods(cluster, "deployment/web"), f"{answer} is not a live pod"
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_READY"
    assert forward["pid"] != old_pid, "a new kubectl serves the forward"
    assert forward["pod"] in live_pods(cluster, "deployment/web"), forward["pod"]
    assert http_get(port) in live_pods(cluster, "deployment/web")


@pytest.mark.parametrize("serving", [False, True], ids=["stops-at-once", "serves-until-gone"])
def test_deleted_pod_without_traffic_is_left_for_a_live_pod_by_pfds_pod_watch(
    cluster, make_pfd, serving
):
    """No client connects after the deletion, so kubectl never learns of it (its session
    outlives the pod): only pfd's watch of the pods can move the forward. The grace period is
    long, so the pod's end cannot be what moves it."""
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    doomed = pfd.forward("web")["pod"]
    assert doomed == http_get(port), "pfctl status names the pod that answers"
    old_pid = pfd.forward("web")["pid"]
    mark = pfd.mark()

    cluster.delete_pod(doomed, grace=120, ready_while_terminating=serving)

    pfd.wait_for_serving("web", since=mark)
    forward = pfd.forward("web")
    assert forward["pid"] != old_pid, "a new kubectl serves the forward"
    live = cluster.pod_names("deployment/web")
    assert forward["pod"] in live and forward["pod"] != doomed, forward["pod"]
    assert cluster.pod(doomed).terminating, "still in its grace period: pfd moved on its own"
    assert http_get(port) in live


def test_forward_waiting_for_a_pod_starts_as_soon_as_one_runs_not_after_its_backoff(
    cluster, make_pfd
):
    """When a single-replica deployment loses its pod, no pod runs for a while (the replacement
    is Pending on a real cluster). That is the cluster's doing, not the forward failing: pfd
    waits for a Ready pod without backing off, holding connections, and watches the namespace's
    pods: the moment one runs it must start, not wait out a backoff delay that grows with every
    such loss (bench/pod_recovery.py saw 26 s after a few dozen deletions). Scaling to 0 and back
    makes the gap certain; the backoff here is longer than the wait, so only that reaction makes
    the forward READY in time."""
    (first,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    slow_backoff = {"initial": "30s", "max": "30s", "jitter": 0}
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
                              backoff=slow_backoff))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()

    cluster.scale("web", 0)
    waiting = pfd.wait_for_log(r"web: .*waiting for (a Ready pod|one)", since=mark)
    assert "no running pod" in waiting.group(0) or "no other pod" in waiting.group(0), \
        waiting.group(0)
    assert not [line for line in pfd.log.lines()[mark:] if "-> BACKOFF" in line]
    mark = pfd.mark()
    cluster.scale("web", 1)

    pfd.wait_for_state("web", "READY", since=mark, timeout=20)
    with RequestLoop(port) as client:
        answer = client.wait_for_answer(lambda pod: pod != first)
    assert answer in live_pods(cluster, "deployment/web")


def test_rollout_ends_on_a_new_pod_not_a_terminating_one(
    cluster, make_pfd, port_forward, report_figure
):
    """The trap: the old pods, Ready for an hour, stay Ready and serving while they terminate
    (60 s grace), and the new pods are not Ready yet; kubectl's own choice, of every version, is
    then a dying pod (1.27 keeps choosing it even once the new pods are Ready). pfd must end on
    a new pod while the old ones are still terminating: within the grace period nothing but
    pfd's own choice of pod can take it there."""
    old_pods = cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    cluster.backdate("deployment/web", 3600)
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    assert http_get(port) in old_pods
    mark = pfd.mark()

    with RequestLoop(port) as client:
        new_pods = cluster.rollout("web", grace=60, new_pods_ready=False)
        # The trap is staged: kubectl's own choice, and real kubectl, land on a dying pod.
        choice = cluster.kubectl_choice("deployment/web", minor=KUBECTL_MINOR)
        assert choice in old_pods and cluster.pod(choice).terminating, choice
        _, trapped_port = port_forward("deployment/web", "8080")
        trapped = http_get(trapped_port)
        assert trapped in old_pods and cluster.pod(trapped).terminating, trapped
        for pod in new_pods:
            cluster.set_ready(pod, True)
        answer = client.wait_for_answer(lambda pod: pod in new_pods, timeout=30,
                                        since=client.mark())
        failed = client.failures

    report_figure(f"rollout: {failed} client requests failed before {answer} answered")
    assert all(cluster.pod(pod).terminating for pod in old_pods), \
        "the old pods are still terminating: pfd did not wait for them to go"
    pfd.wait_for_serving("web", since=mark)
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_READY"
    assert http_get(port) in new_pods
    assert forward["pod"] in new_pods, f"pfctl status names {forward['pod']}, not {new_pods}"
    assert not cluster.pod(forward["pod"]).terminating


def test_app_not_listening_in_the_pod_is_the_reason_and_the_forward_recovers(
    cluster, make_pfd
):
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    # The request kubelet cannot complete inside the pod never reached the app: pfd replays it on
    # the next kubectl, where it waits (holdTimeout) and is closed, since the app stays down.
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080",
                                                    holdTimeout="2s")))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()

    cluster.stop_backend(pod)
    with pytest.raises(OSError):
        http_get(port)

    backoff = pfd.wait_for_state("web", "BACKOFF", since=mark)
    assert "not listening" in backoff["reason"] and "8080" in backoff["reason"], backoff["reason"]
    last_error = pfd.forward("web")["lastError"]
    assert "not listening" in last_error and "8080" in last_error, last_error
    table = pfd.pfctl_ok("status", "web")
    assert "not listening" in table, table

    cluster.start_backend(pod)
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda answer: answer == pod) == pod
