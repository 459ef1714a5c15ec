"""`python3 -m fakekube serve`: the ready line, the demo objects and the control endpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from conftest import requires_kubectl

from fakekube import run_kubectl

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _control(ready: dict, path: str, method: str = "POST") -> dict:
    request = urllib.request.Request(
        f"{ready['control_url']}/{path}", data=b"" if method == "POST" else None, method=method
    )
    try:
        with _OPENER.open(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return {"status": error.code, **json.loads(error.read())}


@pytest.fixture
def served(tmp_path):
    env = dict(os.environ, PYTHONPATH=E2E_DIR)
    process = subprocess.Popen(
        [sys.executable, "-m", "fakekube", "serve", "--dir", str(tmp_path / "srv"), "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line, process.stderr.read()
        yield process, json.loads(line)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
        process.stdout.close()
        process.stderr.close()


def test_ready_line_names_the_kubeconfig_and_ports(served, tmp_path):
    _, ready = served
    assert ready["event"] == "ready"
    assert ready["kubeconfig"] == str(tmp_path / "srv" / "kubeconfig")
    assert os.path.exists(ready["kubeconfig"])
    assert ready["api_url"] == f"http://127.0.0.1:{ready['api_port']}"
    assert ready["contexts"] == ["fake-a", "fake-b"]


def test_demo_objects_are_served_and_control_endpoint_breaks_them(served):
    _, ready = served
    state = _control(ready, "state", method="GET")
    pods = {(p["namespace"], p["name"]) for p in state["pods"]}
    assert ("default", "db-0") in pods
    for namespace, prefix, count in (
        ("default", "web-", 2),
        ("default", "api-", 1),
        ("shop", "cart-", 1),
    ):
        assert len([n for ns, n in pods if ns == namespace and n.startswith(prefix)]) == count
    web = sorted(n for _, n in pods if n.startswith("web-"))

    assert _control(ready, f"pods/default/{web[0]}/delete?grace=30")["ok"] is True
    after = {p["name"]: p for p in _control(ready, "state", method="GET")["pods"]}
    assert after[web[0]]["terminating"] and not after[web[0]]["ready"]

    missing = _control(ready, "pods/default/ghost/delete")
    assert missing["status"] == 404 and "ghost" in missing["error"]
    no_deployment = _control(ready, "deployments/default/ghost/scale?replicas=1")
    assert no_deployment == {
        "status": 404,
        "ok": False,
        "error": "deployment 'ghost' not found in namespace 'default'",
    }
    scaled = _control(ready, "deployments/default/api/scale?replicas=3")
    assert len(scaled["pods"]) == 3
    assert _control(ready, "api/hang?value=true")["ok"]
    assert _control(ready, "state", method="GET")["api"]["hanging"] is True


@requires_kubectl
def test_kubectl_reads_the_served_cluster_and_api_down_is_refused(served):
    _, ready = served
    env = dict(
        os.environ,
        KUBECONFIG=ready["kubeconfig"],
        KUBECACHEDIR=os.path.dirname(ready["kubeconfig"]) + "/cache",
    )
    listed = run_kubectl(["get", "svc", "-o", "name"], env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["service/api", "service/db", "service/web"]
    assert _control(ready, "api/down")["ok"]
    refused = run_kubectl(["get", "pods"], env=env)
    assert refused.returncode == 1 and "was refused" in refused.stderr
    assert _control(ready, "api/up")["ok"]
    assert run_kubectl(["get", "pods"], env=env).returncode == 0


def test_sigterm_stops_the_server_cleanly(served):
    process, _ = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
