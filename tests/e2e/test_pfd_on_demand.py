"""start: onDemand: the port is held from the start, kubectl runs only once a client connects,
and stops again after idleTimeout without a connection; the next request starts it again."""

from __future__ import annotations

from conftest import http_get, kube_forward, pfd_config, reserve_ports, wait_for_exit


def test_an_on_demand_forward_starts_with_its_first_request_and_sleeps_after_idle_timeout(
    cluster, make_pfd
):
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080",
                                                    start="onDemand", idleTimeout="2s")))
    pfd.wait_for_state("web", "IDLE")
    forward = pfd.forward("web")
    assert forward["state"] == "FORWARD_STATE_IDLE" and not forward.get("pid"), forward
    assert "(idle, never served)" in pfd.pfctl_ok("status", "web")

    for round_number in range(3):  # and again after each sleep
        mark = pfd.mark()
        assert http_get(port, timeout=15) == pod, f"round {round_number}"
        kubectl = int(pfd.forward("web")["pid"])
        assert kubectl > 0
        idle = pfd.wait_for_state("web", "IDLE", since=mark, timeout=20)
        assert "no connection for 2s (idleTimeout)" in idle["reason"], idle["reason"]
        assert wait_for_exit(kubectl, 10), "kubectl stopped"
        forward = pfd.forward("web")
        assert not forward.get("pid"), forward
        assert forward.get("lastServedTime"), forward
    assert "last served" in pfd.pfctl_ok("status", "web")
