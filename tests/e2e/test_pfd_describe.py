"""pfctl describe with real kubectl against the fake API server: the pod pfd chose and why,
kubectl's command line, and a pod switch in the forward's events."""

from __future__ import annotations

import json

from conftest import kube_forward, pfd_config, reserve_ports


def describe(pfd, name: str) -> dict:
    return json.loads(pfd.pfctl_ok("describe", name, "-o", "json"))


def test_describe_says_why_this_pod_and_records_a_switch(cluster, make_pfd):
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    data = describe(pfd, "web")
    first = data["forward"]["pod"]
    assert data["podReason"] == "the newest of 2 Ready pods of deployment/web"
    argv = data["commandLine"]
    assert argv[1:3] == ["port-forward", f"pod/{first}"], argv
    assert data["forward"]["pid"] > 0
    text = pfd.pfctl_ok("describe", "web")
    assert f"  Chosen:       the newest of 2 Ready pods of deployment/web\n" in text
    assert f"  Command:      {' '.join(argv)}\n" in text

    mark = pfd.mark()
    cluster.delete_pod(first, ready_while_terminating=True)
    pfd.wait_for_log(r"\bweb: switched from pod ", since=mark)
    data = describe(pfd, "web")
    second = data["forward"]["pod"]
    assert second != first
    assert data["commandLine"][2] == f"pod/{second}"
    assert "Ready pod" in data["podReason"] and "deployment/web" in data["podReason"]
    switched = [e for e in data["events"] if e["reason"] == "PodSwitched"]
    assert len(switched) == 1, data["events"]
    assert switched[0]["type"] == "EVENT_TYPE_NORMAL"
    assert f"switched from pod {first} to pod {second}" in switched[0]["message"]
    assert data["forward"]["state"] == "FORWARD_STATE_READY"
