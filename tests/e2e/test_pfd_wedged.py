"""kubectl alive but wedged: its process is up and its port is bound, yet nothing gets through
(scenario 8 of the end-to-end suite). pfd must notice and replace it within a bound the config
sets, not kubectl's own (30 s per connection for hung streams, never for a hung upgrade):

* hung upgrade (the API server never answers the port-forward upgrade): kubectl prints nothing
  and waits forever; the forward's `startTimeout` bounds it (here 2s).
* hung streams (every new connection waits for streams that never come): kubectl stays up and
  listening; a readiness probe through the tunnel with timeoutSeconds 1, periodSeconds 1 and
  failureThreshold 2 notices within about periodSeconds * failureThreshold + timeoutSeconds (3s
  here, plus up to one period before the first probe), where kubectl alone would only fail each
  connection after 30s and never exit."""

from __future__ import annotations

from conftest import RequestLoop, http_get, kube_forward, pfd_config, reserve_ports
from pfd_harness import wait_for_exit


def test_hung_streams_are_detected_by_the_readiness_probe_and_kubectl_is_replaced(
    cluster, make_pfd
):
    pods = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    probe = {"httpGet": {"path": "/healthz"}, "timeoutSeconds": 1, "periodSeconds": 1,
             "failureThreshold": 2}
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080", readiness=probe)))
    pfd.wait_for_state("web", "READY")
    wedged_pid = pfd.forward("web")["pid"]
    mark = pfd.mark()

    cluster.hang_streams(True)

    unhealthy = pfd.wait_for_state("web", "UNHEALTHY", since=mark)
    assert "timeout" in unhealthy["reason"].lower() or "probe" in unhealthy["reason"].lower(), \
        unhealthy["reason"]
    assert wait_for_exit(wedged_pid), "the wedged kubectl must be killed"
    cluster.hang_streams(False)
    pfd.wait_for_state("web", "READY", since=mark)
    forward = pfd.forward("web")
    assert forward["pid"] not in (0, wedged_pid)
    assert forward["readiness"]["success"] is True
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda pod: pod in pods)


def test_hung_port_forward_upgrade_is_cut_by_the_start_timeout_and_retried(cluster, make_pfd):
    cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(
        cluster, kube_forward("web", "deployment/web", f"{port}:8080"), startTimeout="2s"))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()

    cluster.hang_upgrades(True)
    # The session is cut (as when a node goes away); the new kubectl's upgrade then hangs.
    cluster.delete_pod(http_get(port), close_sessions=True)

    # Before that, pfd may back off once while the replacement pod does not exist yet.
    backoff = pfd.wait_for_log(
        rf"\bweb: STARTING -> BACKOFF: (?P<reason>[^;]*\b{port}\b[^;]*); retrying in", since=mark)
    assert "2s" in backoff["reason"], backoff["reason"]
    hung_pid = int(pfd.wait_for_log(r"\bweb: started pid (\d+)", since=mark)[1])
    assert wait_for_exit(hung_pid), "the hung kubectl must be killed"

    back = pfd.mark()
    cluster.hang_upgrades(False)
    pfd.wait_for_state("web", "READY", since=back, timeout=30)
    live = cluster.pod_names("deployment/web")
    with RequestLoop(port) as client:
        assert client.wait_for_answer(lambda pod: pod in live)
