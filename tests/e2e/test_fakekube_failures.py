"""Real kubectl meeting each failure the fake cluster stages, ending as against a real cluster.
The exact lines are catalogued in fakekube/KUBECTL_OUTPUT.md."""

from __future__ import annotations

import re
import socket
import urllib.error

import pytest
from conftest import KUBECTL_VERSIONS, http_get, requires_kubectl, version_id, wraps_errors

pytestmark = requires_kubectl

versions = pytest.mark.parametrize("version", KUBECTL_VERSIONS, ids=version_id)

LOST = "error: lost connection to pod"


def _expect_fetch_fails(port: int) -> None:
    """The local client sees the forwarded connection closed without an answer."""
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        http_get(port)


def _error_line(process) -> str:
    return process.wait_for("an error occurred forwarding", stream="stderr")


@versions
def test_deleted_pod_keeps_kubectl_up_until_the_next_connection_fails(
    cluster, port_forward, version
):
    pod = cluster.add_deployment("web", ports={"http": 8080})[0]
    process, port = port_forward("deploy/web", "8080", version=version)
    assert http_get(port) == pod
    sandbox = cluster.pod(pod).sandbox_id
    cluster.delete_pod(pod, grace=0)
    assert process.running
    _expect_fetch_fails(port)
    line = _error_line(process)
    assert (
        f"an error occurred forwarding {port} -> 8080: "
        f"error forwarding port 8080 to pod {sandbox}, uid : " in line
    )
    assert "failed to find sandbox" in line and "in store: not found" in line
    assert line.startswith("E") and ('"Unhandled Error" err=' in line) == wraps_errors(version)
    assert process.wait_for(LOST, stream="stderr") == LOST
    assert process.wait_exit() == 1


@versions
def test_deleted_pod_with_sessions_closed_ends_kubectl_at_once(cluster, port_forward, version):
    pod = cluster.add_deployment("web")[0]
    process, _ = port_forward("deploy/web", "8080", version=version)
    cluster.delete_pod(pod, close_sessions=True)
    assert process.wait_for(LOST, stream="stderr") == LOST
    assert process.wait_exit() == 1


@versions
def test_refusing_backend_prints_kubelets_error_and_ends_kubectl(cluster, port_forward, version):
    pod = cluster.add_deployment("web")[0]
    process, port = port_forward("deploy/web", "8080", version=version)
    cluster.stop_backend(pod)
    _expect_fetch_fails(port)
    line = _error_line(process)
    assert "failed to connect to localhost:8080 inside namespace" in line
    assert "dial tcp4 127.0.0.1:8080: connect: connection refused" in line
    process.wait_for(LOST, stream="stderr")
    assert process.wait_exit() == 1


@versions
def test_api_server_refusing_connections_is_reported(cluster, kubectl, version):
    cluster.add_deployment("web")
    cluster.api_down()
    process = kubectl("port-forward", "deploy/web", ":8080", version=version)
    expected = (
        f"The connection to the server 127.0.0.1:{cluster.port} was refused - "
        "did you specify the right host or port?"
    )
    assert process.wait_for("The connection to the server", stream="stderr") == expected
    assert process.wait_exit() == 1


def test_api_server_going_down_cuts_the_forward_and_coming_back_serves_again(cluster, port_forward):
    cluster.add_deployment("web")
    process, _ = port_forward("deploy/web", "8080")
    cluster.api_down()
    process.wait_for(LOST, stream="stderr")
    assert process.wait_exit() == 1
    cluster.api_up()
    _, port = port_forward("deploy/web", "8080")
    assert http_get(port) == cluster.pod_names("deploy/web")[0]


def test_hanging_api_server_makes_kubectl_give_up_after_its_request_timeout(cluster, kubectl):
    cluster.add_deployment("web")
    cluster.api_hang(True)
    process = kubectl("port-forward", "deploy/web", ":8080", "--request-timeout=1s", version="1.33")
    line = process.wait_for("Unable to connect to the server", stream="stderr", timeout=30)
    assert re.match(
        r"Unable to connect to the server: (context deadline exceeded|net/http: request canceled)",
        line,
    )
    assert process.wait_exit() == 1


def test_established_forward_survives_a_hanging_api_server(cluster, port_forward):
    pod = cluster.add_deployment("web")[0]
    _, port = port_forward("deploy/web", "8080", "--request-timeout=1s")
    cluster.api_hang(True)
    assert http_get(port) == pod  # the SPDY session needs no further API calls


@versions
def test_missing_deployment_is_not_found(cluster, kubectl, version):
    process = kubectl("port-forward", "deploy/nope", ":8080", version=version)
    assert process.wait_for("Error from server", stream="stderr") == (
        'Error from server (NotFound): deployments.apps "nope" not found'
    )
    assert process.wait_exit() == 1


def test_missing_namespace_is_not_found(cluster, kubectl):
    cluster.add_deployment("web")
    process = kubectl("port-forward", "-n", "nope", "deploy/web", ":8080")
    assert process.wait_for("Error from server", stream="stderr") == (
        'Error from server (NotFound): namespaces "nope" not found'
    )
    assert process.wait_exit() == 1


def test_pod_that_is_not_running_is_refused_by_kubectl(cluster, kubectl):
    cluster.add_pod("starting", phase="Pending")
    process = kubectl("port-forward", "pod/starting", ":8080")
    assert process.wait_for("error:", stream="stderr") == (
        "error: unable to forward port because pod is not running. Current status=Pending"
    )
    assert process.wait_exit() == 1


def test_forbidden_portforward_is_an_upgrade_error(cluster, kubectl):
    pod = cluster.add_deployment("web")[0]
    cluster.forbid(resource="pods/portforward")
    process = kubectl("port-forward", "deploy/web", ":8080")
    assert process.wait_for("error:", stream="stderr") == (
        f'error: error upgrading connection: pods "{pod}" is forbidden: User "fake-a-user" '
        'cannot create resource "pods/portforward" in API group "" in the namespace "default"'
    )
    assert process.wait_exit() == 1


def test_local_port_in_use_is_reported(cluster, kubectl):
    cluster.add_deployment("web")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        taken = blocker.getsockname()[1]
        process = kubectl("port-forward", "deploy/web", f"{taken}:8080", "--address", "127.0.0.1")
        assert process.wait_for("error:", stream="stderr") == (
            f"error: unable to listen on any of the requested ports: [{{{taken} 8080}}]"
        )
        assert process.wait_exit() == 1


def test_rollout_keeps_old_pod_ready_and_serving_until_its_grace_ends_then_breaks_old_forward(
    cluster, port_forward
):
    # This test used to expect the old forward to break on the very next connection: the old
    # pods stopped serving (and turned not Ready) the moment the rollout deleted them. Real
    # terminating pods usually keep serving, and stay Ready, during their grace period (the
    # kubelet marks containers not ready only as they stop); rollouts now behave that way, so
    # the old forward keeps working until the pod is gone.
    old = cluster.add_deployment("web", replicas=1)[0]
    cluster.backdate("deploy/web", 3600)  # it has been running for an hour
    process, port = port_forward("deploy/web", "8080")
    assert http_get(port) == old
    new = cluster.rollout("web", grace=30)
    assert old not in new and len(new) == 1
    dying = cluster.pod(old)
    assert dying.terminating and dying.ready, "terminating, still Ready"
    assert http_get(port) == old, "the old pod keeps serving through the old forward"
    # kubectl 1.27 prefers the pod Ready for longer: the dying one. 1.28+ prefers a Ready pod
    # without a deletionTimestamp. Real kubectl agrees with the model in both cases.
    assert cluster.kubectl_choice("deploy/web", minor=27) == old
    assert cluster.kubectl_choice("deploy/web", minor=28) == new[0]
    for version, expected in (("1.27", old), ("1.28", new[0])):
        _, chosen_port = port_forward("deploy/web", "8080", version=version)
        assert http_get(chosen_port) == expected, f"kubectl {version}"

    cluster.delete_pod(old, grace=0)  # the grace period ends: the pod is gone
    _expect_fetch_fails(port)
    process.wait_for(LOST, stream="stderr")
    assert process.wait_exit() == 1
    _, port = port_forward("deploy/web", "8080")
    assert http_get(port) == new[0]


@versions
def test_rollout_whose_new_pods_are_not_ready_yet_traps_kubectl_on_a_dying_pod(
    cluster, port_forward, version
):
    old = cluster.add_deployment("web", replicas=1)[0]
    new = cluster.rollout("web", grace=30, new_pods_ready=False)
    assert cluster.kubectl_choice("deploy/web", minor=27) == old
    assert cluster.kubectl_choice("deploy/web", minor=33) == old
    _, port = port_forward("deploy/web", "8080", version=version)
    assert http_get(port) == old, "every kubectl picks the Ready pod, dying or not"
    cluster.set_ready(new[0], True)
    assert cluster.kubectl_choice("deploy/web", minor=33) == new[0]


def test_rollout_with_pods_that_stop_at_once_breaks_old_forward_on_the_next_connection(
    cluster, port_forward
):
    old = cluster.add_deployment("web", replicas=1)[0]
    process, port = port_forward("deploy/web", "8080")
    new = cluster.rollout("web", ready_while_terminating=False)
    assert not cluster.pod(old).ready
    assert cluster.kubectl_choice("deploy/web") == new[0]
    _expect_fetch_fails(port)
    process.wait_for(LOST, stream="stderr")
    assert process.wait_exit() == 1


def test_pod_deleted_ready_while_terminating_serves_until_its_grace_period_ends(
    cluster, port_forward
):
    pods = cluster.add_deployment("web", replicas=2)
    cluster.backdate("deploy/web", 60)
    doomed = cluster.kubectl_choice("deploy/web")
    process, port = port_forward("deploy/web", "8080")
    assert http_get(port) == doomed
    cluster.delete_pod(doomed, grace=1, ready_while_terminating=True)
    pod = cluster.pod(doomed)
    assert pod.terminating and pod.ready and pod.deletion_grace_seconds == 1
    assert http_get(port) == doomed
    # Still Ready, and Ready longest: kubectl 1.27 would pick it over the replacement.
    assert cluster.kubectl_choice("deploy/web", minor=27) == doomed
    assert cluster.kubectl_choice("deploy/web", minor=28) != doomed
    cluster.wait_for(lambda c: doomed not in [p.name for p in c.pods()], timeout=10)
    _expect_fetch_fails(port)
    process.wait_for(LOST, stream="stderr")
    assert process.wait_exit() == 1
    assert cluster.kubectl_choice("deploy/web") in set(cluster.pod_names("deploy/web")) - {doomed}
    assert len(pods) == 2


def test_held_upgrade_keeps_kubectl_silent_until_released(cluster, kubectl):
    pod = cluster.add_deployment("web")[0]
    cluster.hang_upgrades(True)
    process = kubectl(
        "port-forward", "deploy/web", ":8080", "--address", "127.0.0.1", "--request-timeout=1s"
    )
    cluster.wait_for_request("/portforward")
    assert process.running and process.drain() == []
    cluster.hang_upgrades(False)
    line = process.wait_for("Forwarding from", stream="stdout")
    assert http_get(int(line.split(":")[1].split(" ")[0])) == pod
