"""Fixtures for end-to-end tests that run real kubectl against the fake API server.

    cluster            a FakeCluster on 127.0.0.1:0 (empty but for namespaces), stopped after
    kubectl            start(*args, version=None, env=None) -> KubectlProcess, stopped after
    port_forward       start(target, remote, *extra, version=None) -> (KubectlProcess, local port)
    KUBECTL_VERSIONS   what to parametrize "where the version matters" with: 1.27 (oldest),
                       default (the dispatcher), 1.33 (newest); only $PFD_KUBECTL if it is set.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakekube import FakeCluster, KubectlProcess, kubectl_path  # noqa: E402
from fakekube.kubectl import ENV_VAR, KubectlNotFound, available_versions  # noqa: E402


def _versions() -> list[str]:
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return [chosen]
    available = available_versions()
    wanted = ["1.27", "default", "1.33"]
    return [v for v in wanted if v == "default" or v in available]


KUBECTL_VERSIONS = _versions()


def _kubectl_available() -> bool:
    try:
        kubectl_path()
        return True
    except KubectlNotFound:
        return False


requires_kubectl = pytest.mark.skipif(
    not _kubectl_available(), reason="no kubectl on PATH (and PFD_KUBECTL not set)"
)


def version_id(version: str) -> str:
    return os.path.basename(version)


def minor_of(version: str) -> int:
    """The minor version a kubectl choice runs: "default" is the dispatcher, which runs 1.32
    for the fake cluster's default server version."""
    if version == "default":
        return 32
    match = re.search(r"1\.(\d+)", os.path.basename(version))
    return int(match.group(1)) if match else 32


def wraps_errors(version: str) -> bool:
    """kubectl >= 1.31 logs errors as `"Unhandled Error" err="..."` (quoted, escaped)."""
    return minor_of(version) >= 31


@pytest.fixture
def cluster(tmp_path):
    fake = FakeCluster(str(tmp_path / "cluster"))
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def kubectl(cluster):
    started: list[KubectlProcess] = []

    def start(*args: str, version=None, env=None) -> KubectlProcess:
        process = KubectlProcess(
            args, env=env or cluster.kubectl_env(), kubectl=kubectl_path(version)
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()


FORWARDING = re.compile(r"^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$")


@pytest.fixture
def port_forward(kubectl):
    def start(target: str, remote: str, *extra: str, version=None):
        process = kubectl(
            "port-forward", target, f":{remote}", "--address", "127.0.0.1", *extra, version=version
        )
        line = process.wait_for(FORWARDING, timeout=30)
        return process, int(FORWARDING.match(line).group(1))

    return start


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(port: int, path: str = "/", timeout: float = 10) -> str:
    with _OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return response.read().decode()


def http_post(port: int, path: str, body: bytes, timeout: float = 30) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST")
    with _OPENER.open(request, timeout=timeout) as response:
        return response.read()
