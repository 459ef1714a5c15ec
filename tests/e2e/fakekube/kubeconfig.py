"""The kubeconfig a fake cluster writes: two contexts on one server.

fake-a (current): cluster fake-a (http://127.0.0.1:PORT), namespace default.
fake-b:           cluster fake-b (http://127.0.0.1:PORT/clusters/fake-b), namespace shop.
client-go sends no credentials over plain http, so the server tells the contexts apart by the
path prefix (it answers as user fake-a-user or fake-b-user; forbid(user=...) can use that).
"""

from __future__ import annotations

import os

CONTEXTS = (
    # (context/cluster/user name, server path prefix, namespace)
    ("fake-a", "", "default"),
    ("fake-b", "/clusters/fake-b", "shop"),
)


def render_kubeconfig(server_url: str, current_context: str = "fake-a") -> str:
    lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "clusters:"]
    for name, prefix, _ in CONTEXTS:
        lines += [f"- name: {name}", "  cluster:", f"    server: {server_url}{prefix}"]
    lines.append("contexts:")
    for name, _, namespace in CONTEXTS:
        lines += [
            f"- name: {name}",
            "  context:",
            f"    cluster: {name}",
            f"    user: {name}-user",
            f"    namespace: {namespace}",
        ]
    lines.append(f"current-context: {current_context}")
    lines.append("users:")
    for name, _, _ in CONTEXTS:
        lines += [f"- name: {name}-user", "  user: {}"]
    return "\n".join(lines) + "\n"


def write_kubeconfig(path: str, server_url: str, current_context: str = "fake-a") -> str:
    """Writes atomically with mode 0600 (kubectl warns about group/world-readable configs in
    some versions) and returns the path."""
    temporary = f"{path}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(render_kubeconfig(server_url, current_context))
    os.replace(temporary, path)
    return path
