"""Real kubectl reading and changing the fake cluster: get, delete, scale, rollout restart."""

from __future__ import annotations

import json

import pytest
from conftest import KUBECTL_VERSIONS, requires_kubectl, version_id

from fakekube import kubectl_path, run_kubectl

pytestmark = requires_kubectl


@pytest.fixture
def shop(cluster):
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    cluster.add_service("web", ports=[("http", 80, "http")])
    cluster.add_statefulset("db", ports={"postgres": 5432})
    cluster.add_deployment("cart", ns="shop")
    return cluster


def _kubectl(cluster, *args, version=None):
    result = run_kubectl(args, env=cluster.kubectl_env(), kubectl=kubectl_path(version))
    return result


@pytest.mark.parametrize("version", KUBECTL_VERSIONS, ids=version_id)
def test_get_prints_pods_deployments_and_services_tables(shop, version):
    pods = _kubectl(shop, "get", "pods", version=version)
    assert pods.returncode == 0, pods.stderr
    assert pods.stderr == ""
    header, *rows = pods.stdout.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert sorted(row.split()[0] for row in rows) == sorted(p.name for p in shop.pods())
    assert all(row.split()[1:4] == ["1/1", "Running", "0"] for row in rows)

    workloads = _kubectl(shop, "get", "deploy,sts,svc", version=version)
    assert workloads.returncode == 0, workloads.stderr
    assert "deployment.apps/web   2/2     2            2" in workloads.stdout
    assert "statefulset.apps/db   1/1" in workloads.stdout
    assert "service/web" in workloads.stdout and "80/TCP" in workloads.stdout


def test_get_json_carries_the_fields_kubectl_ranks_pods_by(shop):
    result = _kubectl(shop, "get", "pods", "-l", "app=web", "-o", "json")
    assert result.returncode == 0, result.stderr
    pods = json.loads(result.stdout)["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["metadata"]["creationTimestamp"].endswith("Z")
        assert pod["spec"]["nodeName"]
        assert pod["status"]["phase"] == "Running"
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True" and ready["lastTransitionTime"]
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
        assert pod["spec"]["containers"][0]["ports"] == [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"}
        ]


def test_second_context_reads_its_own_namespace(shop):
    result = _kubectl(shop, "--context", "fake-b", "get", "deployments", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["deployment.apps/cart"]


def test_missing_objects_and_namespaces_are_reported_like_a_real_server(shop):
    missing = _kubectl(shop, "get", "deploy", "nope")
    assert missing.returncode == 1
    assert (
        missing.stderr.strip() == 'Error from server (NotFound): deployments.apps "nope" not found'
    )
    no_namespace = _kubectl(shop, "-n", "nope", "get", "pod", "x")
    assert (
        no_namespace.stderr.strip() == 'Error from server (NotFound): namespaces "nope" not found'
    )


def test_forbidden_list_is_reported_with_the_rbac_message(shop):
    shop.forbid("list", "pods", "default")
    result = _kubectl(shop, "get", "pods")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "fake-a-user" cannot list '
        'resource "pods" in API group "" in the namespace "default"'
    )


def test_deleted_pod_is_listed_terminating_until_its_grace_period_ends(shop):
    victim = shop.pod_names("deploy/web")[0]
    shop.delete_pod(victim, grace=30)
    listed = _kubectl(shop, "get", "pod", victim, "-o", "json")
    pod = json.loads(listed.stdout)
    assert (
        pod["metadata"]["deletionTimestamp"] and pod["metadata"]["deletionGracePeriodSeconds"] == 30
    )
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    table = _kubectl(shop, "get", "pod", victim)
    assert "Terminating" in table.stdout
    # The ReplicaSet replaced it at once; the deployment still has two live pods.
    assert len(shop.pod_names("deploy/web")) == 2
    shop.delete_pod(victim, grace=0)
    assert victim not in [p.name for p in shop.pods()]


def test_kubectl_delete_waits_for_the_pod_to_go(shop):
    victim = shop.pod_names("deploy/web")[0]
    result = _kubectl(shop, "delete", "pod", victim, "--grace-period=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f'pod "{victim}" deleted'
    assert victim not in [p.name for p in shop.pods()]


def test_kubectl_scale_and_rollout_restart_change_the_pods(shop):
    scaled = _kubectl(shop, "scale", "deploy/web", "--replicas=3")
    assert scaled.returncode == 0, scaled.stderr
    assert len(shop.pod_names("deploy/web")) == 3
    before = set(shop.pod_names("deploy/web"))
    restarted = _kubectl(shop, "rollout", "restart", "deploy/web")
    assert restarted.returncode == 0, restarted.stderr
    after = set(shop.pod_names("deploy/web"))
    assert len(after) == 3 and not (after & before)
