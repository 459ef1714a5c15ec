"""Real kubectl port-forwarding through the fake API server to the fake pods' backends."""

from __future__ import annotations

import os
import threading

import pytest
from conftest import KUBECTL_VERSIONS, http_get, http_post, minor_of, requires_kubectl, version_id

pytestmark = requires_kubectl

versions = pytest.mark.parametrize("version", KUBECTL_VERSIONS, ids=version_id)


@versions
def test_deployment_forward_answers_with_the_pod_kubectl_picked(cluster, port_forward, version):
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    process, port = port_forward("deployment/web", "8080", version=version)
    assert http_get(port) == cluster.kubectl_choice("deployment/web")
    assert process.wait_for("Handling connection for", stream="stdout") == (
        f"Handling connection for {port}"
    )


def test_deploy_short_name_forwards_to_the_ready_pod(cluster, port_forward):
    pods = cluster.add_deployment("web", replicas=2)
    cluster.set_ready(pods[0], False)
    _, port = port_forward("deploy/web", "8080")
    assert http_get(port) == pods[1]


@versions
def test_service_with_named_target_port(cluster, port_forward, version):
    cluster.add_deployment("web", replicas=1, ports={"http": 8080, "admin": 9000})
    cluster.add_service("web", ports=[("web", 80, "http")])
    process, port = port_forward("svc/web", "80", version=version)
    assert process.lines[0].endswith("-> 8080")  # kubectl resolved 80 -> "http" -> 8080
    assert http_get(port) == cluster.pod_names("deploy/web")[0]


def test_service_numeric_target_port_and_named_service_port(cluster, port_forward):
    cluster.add_deployment("api", replicas=1, ports={"grpc": 9090})
    cluster.add_service("api", ports=[("http", 80, 9090)])
    process, port = port_forward("service/api", "http")
    assert process.lines[0].endswith("-> 9090")
    assert http_get(port) == cluster.pod_names("deploy/api")[0]


@versions
def test_statefulset_forward(cluster, port_forward, version):
    cluster.add_statefulset("db", replicas=2, ports={"postgres": 5432})
    _, port = port_forward("statefulset/db", "5432", version=version)
    assert http_get(port) in ("db-0", "db-1")


@pytest.mark.parametrize("target", ["solo", "pod/solo"])
def test_bare_pod_forward(cluster, port_forward, target):
    cluster.add_pod("solo", ports=7000)
    _, port = port_forward(target, "7000")
    assert http_get(port) == "solo"


def test_replicaset_forward(cluster, port_forward):
    pods = cluster.add_replicaset("rs", replicas=1, ports=8080)
    _, port = port_forward("replicaset/rs", "8080")
    assert http_get(port) == pods[0]


@versions
def test_second_context_forwards_in_its_namespace(cluster, port_forward, version):
    cluster.add_deployment("cart", ns="shop", replicas=1, ports={"http": 8080})
    cluster.add_service("cart", ns="shop", ports=[("http", 80, "http")])
    _, port = port_forward("svc/cart", "80", "--context", "fake-b", version=version)
    assert http_get(port) == cluster.pod_names("deploy/cart", ns="shop")[0]


@versions
def test_large_bodies_and_parallel_connections_round_trip(cluster, port_forward, version):
    cluster.add_deployment("web", replicas=1)
    _, port = port_forward("deploy/web", "8080", version=version)
    bodies = [os.urandom(512 * 1024) for _ in range(4)]
    results: list = [None] * len(bodies)

    def post(index: int) -> None:
        results[index] = http_post(port, "/echo", bodies[index])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == bodies


@versions
def test_new_kubectl_tunnels_spdy_in_a_websocket_and_old_kubectl_upgrades_to_spdy(
    cluster, port_forward, version
):
    cluster.add_deployment("web")
    _, port = port_forward("deploy/web", "8080", version=version)
    assert http_get(port)
    upgrades = [r.upgrade for r in cluster.requests if r.path.endswith("/portforward")]
    assert upgrades == (["websocket"] if minor_of(version) >= 31 else ["SPDY/3.1"])


def test_refused_websocket_falls_back_to_spdy(cluster, port_forward):
    cluster.set_websocket_portforward(False)
    cluster.add_deployment("web")
    _, port = port_forward("deploy/web", "8080", version="1.33")
    assert http_get(port) == cluster.pod_names("deploy/web")[0]
    attempts = [(r.upgrade, r.status) for r in cluster.requests if r.path.endswith("/portforward")]
    assert attempts == [("websocket", 400), ("SPDY/3.1", 101)]
