"""pfd keeps real kubectl port-forwards to the fake cluster, for every kind of target, and pfctl
controls them (scenarios 1, 4 and 9 of the end-to-end suite)."""

from __future__ import annotations

from conftest import http_get, kube_forward, pfd_config, reserve_ports
from pfd_harness import wait_for_exit


def cmdline(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().decode().split("\0")


def test_deployment_forward_becomes_ready_and_reaches_one_of_its_pods(cluster, make_pfd):
    pods = cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))

    pfd.wait_for_state("web", "READY")

    assert http_get(port) in pods
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_READY"
    assert "port-forward" in cmdline(forward["pid"]), "the child is a kubectl port-forward"
    assert forward["ports"] == [{"localPort": port, "remotePort": "8080"}]
    if forward.get("pod"):
        assert forward["pod"] in pods


def test_service_with_a_named_target_port_reaches_a_pod_behind_it(cluster, make_pfd):
    pods = cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    cluster.add_service("web", selector={"app": "web"}, ports=[("http", 80, "http")])
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "service/web", f"{port}:80")))

    pfd.wait_for_state("web", "READY")

    assert http_get(port) in pods


def test_statefulset_forward_reaches_its_first_pod(cluster, make_pfd):
    cluster.add_statefulset("db", replicas=1, ports={"postgres": 5432})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("db", "statefulset/db", f"{port}:5432")))

    pfd.wait_for_state("db", "READY")

    assert http_get(port) == "db-0"
    assert pfd.forward("db").get("pod", "db-0") == "db-0"


def test_bare_pod_name_forwards_to_that_pod(cluster, make_pfd):
    cluster.add_pod("solo", ports=8080)
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("solo", "solo", f"{port}:8080")))

    pfd.wait_for_state("solo", "READY")

    assert http_get(port) == "solo"
    assert pfd.forward("solo").get("pod", "solo") == "solo"


def test_forwards_in_two_contexts_and_namespaces_run_side_by_side(cluster, make_pfd):
    web = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    cart = cluster.add_deployment("cart", ns="shop", replicas=1, ports={"http": 8080})
    web_port, cart_port = reserve_ports(2)
    pfd = make_pfd(pfd_config(
        cluster,
        kube_forward("web", "deployment/web", f"{web_port}:8080"),
        kube_forward("cart", "deployment/cart", f"{cart_port}:8080", context="fake-b",
                     namespace="shop"),
    ))

    pfd.wait_for_state("web", "READY")
    pfd.wait_for_state("cart", "READY")

    assert http_get(web_port) in web
    assert http_get(cart_port) in cart
    # fake-b is the same server under /clusters/fake-b: its upgrade proves the context was used.
    upgrades = [r.path for r in cluster.requests if "/portforward" in r.path]
    assert any(p.startswith("/clusters/fake-b/api/v1/namespaces/shop/pods/cart-") for p in upgrades)
    assert any(p.startswith("/api/v1/namespaces/default/pods/web-") for p in upgrades)
    cart_status = pfd.forward("cart")
    assert (cart_status["context"], cart_status["namespace"]) == ("fake-b", "shop")


def test_pfctl_restart_replaces_the_kubectl_child_and_the_forward_is_ready_again(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    old_pid = pfd.forward("web")["pid"]
    mark = pfd.mark()

    assert "web restarted" in pfd.pfctl_ok("restart", "web")

    pfd.wait_for_state("web", "READY", since=mark)
    assert wait_for_exit(old_pid), "the old kubectl must be gone"
    forward = pfd.forward("web")
    assert forward["pid"] not in (0, old_pid)
    assert "port-forward" in cmdline(forward["pid"])
    assert http_get(port) in pods


def test_http_probes_through_kubectl_leave_the_forward_and_its_output_clean(cluster, make_pfd):
    # pfd's HTTP prober reads each response before it closes the connection, and closes it
    # normally: a reset (a close with unread bytes, or SO_LINGER 0) makes kubectl log an error
    # for every probe, which fails this test.
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    probe = {"httpGet": {"path": "/healthz"}, "periodSeconds": 1}
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", readiness=probe)))
    pfd.wait_for_state("web", "READY")
    backend = cluster.backend(pod, 8080)
    pid = pfd.forward("web")["pid"]

    assert backend.wait_for_requests(backend.requests + 3), "three more probes reach the pod"

    forward = pfd.forward("web")
    assert (forward["state"], forward["pid"], forward.get("restarts", 0)) == \
        ("FORWARD_STATE_READY", pid, 0)
    assert forward["readiness"]["message"] == "HTTP 200"
    assert int(forward["kubectlConnections"]) >= 3, "the probes went through kubectl"
    output = pfd.pfctl_ok("logs", "web")
    assert "Handling connection for" not in output, "counted, not kept"
    assert "error" not in output.lower(), output
