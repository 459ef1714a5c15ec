"""GET /metrics (config `metrics:`): the real pfd serving the Prometheus text format from its loop,
checked with `promtool check metrics` (Debian's prometheus package) and with the format checker
in tests/harness/metrics_format.py."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import command_forward
from metrics_format import FormatError, parse, value
from pfd_harness import DEFAULT_TIMEOUT
from port_allocator import release_ports, reserve_ports
from tap_support import Upstream, fake_kubectl, held_forward, read_exactly

NO_WATCH = "reloadOnChange: false\n"


def metrics_block(port: int, host: str = "127.0.0.1", remote: bool = False) -> str:
    text = f"metrics:\n  address: \"{host}:{port}\"\n"
    return text + ("  allowRemote: true\n" if remote else "")


def get(port: int, path: str = "/metrics", method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEFAULT_TIMEOUT)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        connection.close()


def scrape(port: int) -> dict:
    status, content_type, body = get(port)
    assert status == 200
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    try:
        return parse(body)
    except FormatError as error:
        raise AssertionError(f"GET /metrics breaks the text format: {error}\n{body}") from None


def promtool_check(body: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool, ("promtool is missing: install Debian's prometheus package "
                      "(scripts/install-deps.sh does); this test checks GET /metrics with it")
    result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                            text=True, timeout=DEFAULT_TIMEOUT)
    assert result.returncode == 0, f"promtool check metrics:\n{result.stdout}{result.stderr}"
    assert result.stdout.strip() == "" and result.stderr.strip() == "", \
        f"promtool has lint remarks:\n{result.stdout}{result.stderr}"


def echo(connection: socket.socket) -> None:
    while True:
        data = connection.recv(65536)
        if not data:
            return
        connection.sendall(data)


@pytest.fixture
def more_ports():
    reserved = reserve_ports(3)
    yield reserved
    release_ports(reserved)


def test_metrics_show_every_family_and_pass_promtool(make_pfd, ports):
    metrics_port, held_port, upstream_port, command_port = ports
    upstream = Upstream(upstream_port, echo)
    try:
        pfd = make_pfd("forwards: []\n", start=False)
        kubectl = fake_kubectl(pfd.dir, upstream_port)
        pfd.write_config(metrics_block(metrics_port) + "forwards:\n" +
                         held_forward("held", held_port, kubectl) +
                         command_forward("cmd", command_port))
        pfd.start()
        pfd.wait_for_log(rf"metrics: serving GET /metrics on http://127\.0\.0\.1:{metrics_port}/")
        pfd.wait_for_state("held", "READY")
        pfd.wait_for_state("cmd", "READY")
        with socket.create_connection(("127.0.0.1", held_port), timeout=DEFAULT_TIMEOUT) as client:
            client.sendall(b"hello")
            assert read_exactly(client, 5) == b"hello"
            samples = scrape(metrics_port)
            assert value(samples, "pfd_forward_connections_active", forward="held") == 1
        assert value(samples, "pfd_forward_state", forward="cmd", state="READY") == 1
        assert value(samples, "pfd_forward_state", forward="cmd", state="BACKOFF") == 0
        assert value(samples, "pfd_forward_restarts_total", forward="cmd") == 0
        assert value(samples, "pfd_forward_connections_total", forward="held") == 1
        assert value(samples, "pfd_forward_received_bytes_total", forward="held") == 5
        assert value(samples, "pfd_forward_heal_seconds_count", forward="held") == 0
        assert value(samples, "pfd_cluster_up", context="", kubeconfig="") == 1
        with pytest.raises(KeyError):  # a command forward holds no ports: no connection series
            value(samples, "pfd_forward_connections_total", forward="cmd")

        status, _, body = get(metrics_port)
        promtool_check(body)
        for line in ("# TYPE pfd_forward_heal_seconds histogram",
                     "# TYPE pfd_forward_probe_success gauge",
                     "# TYPE pfd_forward_connections_replayed_total counter"):
            assert line in body.splitlines()
    finally:
        upstream.close()


def test_a_restart_shows_in_the_counters_and_the_heal_histogram(make_pfd, ports):
    metrics_port, command_port = ports[0], ports[1]
    pfd = make_pfd(NO_WATCH + metrics_block(metrics_port) + "forwards:\n" +
                   command_forward("cmd", command_port))
    pfd.wait_for_state("cmd", "READY")
    before = scrape(metrics_port)
    assert value(before, "pfd_forward_restarts_total", forward="cmd") == 0

    mark = pfd.mark()
    pfd.pfctl_ok("restart", "cmd")
    pfd.wait_for_state("cmd", "READY", since=mark)
    after = scrape(metrics_port)
    assert value(after, "pfd_forward_restarts_total", forward="cmd") == 1
    assert value(after, "pfd_forward_heal_seconds_count", forward="cmd") == 1
    assert value(after, "pfd_forward_heal_seconds_bucket", forward="cmd", le="+Inf") == 1
    assert value(after, "pfd_forward_heal_seconds_sum", forward="cmd") > 0
    assert value(after, "pfd_forward_state", forward="cmd", state="READY") == 1

    # The child dies: BACKOFF or STARTING shows while it heals, READY and a second heal after.
    pid = pfd.forward("cmd")["pid"]
    mark = pfd.mark()
    os.kill(int(pid), signal.SIGKILL)
    pfd.wait_for_state("cmd", "READY", since=mark)
    healed = scrape(metrics_port)
    assert value(healed, "pfd_forward_restarts_total", forward="cmd") == 2
    assert value(healed, "pfd_forward_heal_seconds_count", forward="cmd") == 2
    promtool_check(get(metrics_port)[2])


def test_other_paths_and_methods_and_garbage(make_pfd, ports):
    metrics_port = ports[0]
    make_pfd(metrics_block(metrics_port) + "forwards: []\n")
    assert get(metrics_port, "/")[0] == 404
    assert get(metrics_port, "/metrics", method="POST")[0] == 405
    with socket.create_connection(("127.0.0.1", metrics_port), timeout=DEFAULT_TIMEOUT) as raw:
        raw.sendall(b"hello there\r\n\r\n")
        answer = raw.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_a_non_loopback_address_is_refused_at_start(make_pfd, ports):
    metrics_port, command_port = ports[0], ports[1]
    pfd = make_pfd(metrics_block(metrics_port, host="0.0.0.0") + "forwards:\n" +
                   command_forward("cmd", command_port), start=False)
    check = subprocess.run([pfd.pfd_bin, "--check", "--config", pfd.config], capture_output=True,
                           text=True, timeout=DEFAULT_TIMEOUT)
    assert check.returncode == 1
    assert f"{pfd.config}:2:" in check.stderr
    assert "metrics.address: 0.0.0.0:" in check.stderr
    assert "set metrics.allowRemote: true" in check.stderr

    pfd.start(wait=False)
    assert pfd.process.wait(DEFAULT_TIMEOUT) != 0
    pfd.log.wait_closed(DEFAULT_TIMEOUT)
    assert any("is not a loopback address" in line for line in pfd.log.lines())
    assert not any("serving pfd.v1.Control" in line for line in pfd.log.lines())


def test_allow_remote_serves_a_wildcard_address(make_pfd, ports):
    metrics_port = ports[0]
    pfd = make_pfd(metrics_block(metrics_port, host="0.0.0.0", remote=True) + "forwards: []\n")
    pfd.wait_for_log(rf"metrics: serving GET /metrics on http://0\.0\.0\.0:{metrics_port}/")
    promtool_check(get(metrics_port)[2])  # reached through 127.0.0.1


def test_a_port_in_use_at_start_stops_pfd_with_a_clear_error(make_pfd, ports):
    metrics_port = ports[0]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", metrics_port))
        squatter.listen(1)
        pfd = make_pfd(metrics_block(metrics_port) + "forwards: []\n", start=False)
        pfd.start(wait=False)
        assert pfd.process.wait(DEFAULT_TIMEOUT) != 0
        pfd.log.wait_closed(DEFAULT_TIMEOUT)
    assert any(f"cannot serve metrics on 127.0.0.1:{metrics_port}: the port is already in use"
               in line for line in pfd.log.lines())


def test_reload_rebinds_and_a_bad_address_or_busy_port_changes_nothing(make_pfd, ports,
                                                                      more_ports):
    first_port, command_port, added_port, busy_port = ports
    second_port = more_ports[0]
    forwards = "forwards:\n" + command_forward("cmd", command_port)
    pfd = make_pfd(NO_WATCH + metrics_block(first_port) + forwards)
    pfd.wait_for_state("cmd", "READY")
    pid = pfd.forward("cmd")["pid"]
    added = command_forward("added", added_port)

    # A non-loopback address: the reload fails, with where and why, and nothing changes.
    pfd.write_config(NO_WATCH + metrics_block(second_port, host="0.0.0.0") + forwards + added)
    result = pfd.pfctl("reload")
    assert result.returncode == 1
    assert f"{pfd.config}:3:" in result.stderr and "not a loopback address" in result.stderr
    assert [f["name"] for f in pfd.status()["forwards"]] == ["cmd"]
    assert scrape(first_port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", second_port), timeout=DEFAULT_TIMEOUT)

    # A port in use: the same; the old listener serves on.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", busy_port))
        squatter.listen(1)
        pfd.write_config(NO_WATCH + metrics_block(busy_port) + forwards + added)
        result = pfd.pfctl("reload")
        assert result.returncode == 1
        assert f"cannot serve metrics on 127.0.0.1:{busy_port}: the port is already in use" \
            in result.stderr
        assert [f["name"] for f in pfd.status()["forwards"]] == ["cmd"]
        assert pfd.status()["config"]["stale"]
        assert scrape(first_port)

    # A free port: pfd moves there, and the rest of the reload applies.
    mark = pfd.mark()
    pfd.write_config(NO_WATCH + metrics_block(second_port) + forwards + added)
    pfd.pfctl_ok("reload")
    pfd.wait_for_state("added", "READY", since=mark)
    samples = scrape(second_port)
    assert value(samples, "pfd_forward_state", forward="added", state="READY") == 1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", first_port), timeout=DEFAULT_TIMEOUT)
    assert pfd.forward("cmd")["pid"] == pid, "the unchanged forward kept its child"

    # No metrics: no listener.
    pfd.write_config(NO_WATCH + forwards + added)
    pfd.pfctl_ok("reload")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", second_port), timeout=DEFAULT_TIMEOUT)


def test_the_format_checker_finds_what_promtool_would():
    good = ("# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"q\\\"\"} 1\n"
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n")
    assert value(parse(good), "a_total", x="q\"") == 1
    for bad in ("a 1\n",                                               # no TYPE
                "# TYPE a gauge\na{x=\"1} 1\n",                       # broken label
                "# TYPE a gauge\na 1\na 2\n",                         # a series twice
                "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  # no +Inf
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                "h_sum 1\nh_count 1\n",                                # not cumulative
                "# TYPE a gauge\na 1"):                               # no final newline
        with pytest.raises(FormatError):
            parse(bad)
