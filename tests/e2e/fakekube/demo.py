"""The objects `fakekube serve --demo` loads: enough to show pfd forwarding a few services."""

from __future__ import annotations

from .cluster import FakeCluster


def load_demo(cluster: FakeCluster) -> None:
    # default: web (2 replicas, named port http) behind a service whose targetPort is the name.
    cluster.add_deployment("web", replicas=2, ports={"http": 8080})
    cluster.add_service("web", selector={"app": "web"}, ports=[("http", 80, "http")])
    # api: numeric targetPort, service port 80 -> container 9090.
    cluster.add_deployment("api", replicas=1, ports={"grpc": 9090, "metrics": 9091})
    cluster.add_service("api", selector={"app": "api"}, ports=[("http", 80, 9090)])
    # db: a StatefulSet (db-0) with its headless service.
    cluster.add_statefulset("db", replicas=1, ports={"postgres": 5432})
    cluster.add_service(
        "db", selector={"app": "db"}, ports=[("postgres", 5432, 5432)], headless=True
    )
    # shop namespace (context fake-b): cart.
    cluster.add_deployment("cart", ns="shop", replicas=1, ports={"http": 8080})
    cluster.add_service("cart", ns="shop", selector={"app": "cart"}, ports=[("http", 80, "http")])
