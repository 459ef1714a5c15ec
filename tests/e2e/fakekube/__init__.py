"""fakekube: a fake Kubernetes API server that real kubectl port-forwards through.

    from fakekube import FakeCluster, KubectlProcess, kubectl_path

    with FakeCluster() as cluster:
        cluster.add_deployment("web", replicas=2, ports={"http": 8080})
        with KubectlProcess(["port-forward", "deploy/web", ":8080"],
                            env=cluster.kubectl_env()) as kubectl:
            kubectl.wait_for("Forwarding from")

See README.md beside this file.
"""

from .cluster import FakeCluster
from .kubectl import (
    KubectlNotFound,
    KubectlProcess,
    ProcessExited,
    available_versions,
    counted_kubectl_runs,
    kubectl_path,
    run_kubectl,
    write_counting_kubectl,
)

__all__ = [
    "FakeCluster",
    "KubectlNotFound",
    "KubectlProcess",
    "ProcessExited",
    "available_versions",
    "counted_kubectl_runs",
    "kubectl_path",
    "run_kubectl",
    "write_counting_kubectl",
]
