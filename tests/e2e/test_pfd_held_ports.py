"""pfd holds each forward's local port and relays to kubectl on an ephemeral port: a heal shows
to a client as a short wait, never as a refused connection.

Real pfd, real kubectl, the fake API server. The listener is pfd's own; kubectl runs with
`0:REMOTE --address 127.0.0.1`. While no kubectl serves, connections are accepted and held
(holdTimeout); FAILED keeps the port and closes them at once; STOPPED releases it."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

from conftest import RequestLoop, http_get, kube_forward, pfd_config, reserve_ports, wait_for_exit


def listener_pid(port: int) -> int:
    """The pid of the process that owns the socket listening on 127.0.0.1:`port`."""
    inode = None
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                inode = fields[9]
    assert inode is not None, f"nothing listens on {port}"
    wanted = f"socket:[{inode}]"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                    return int(pid)
        except OSError:
            continue
    raise AssertionError(f"no process owns the listener on {port}")


def closed_without_an_answer(client: socket.socket) -> bool:
    """True when pfd closed the connection without a byte: an EOF, or a reset (closing a socket
    whose request pfd never read makes the kernel send RST)."""
    try:
        return client.recv(100) == b""
    except ConnectionResetError:
        return True


def kubectl_argv(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return [word.decode() for word in cmdline.read().split(b"\0") if word]


def test_the_local_port_is_pfds_and_kubectl_listens_on_an_ephemeral_port(cluster, make_pfd):
    cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    assert listener_pid(port) == pfd.process.pid
    forward = pfd.forward("web")
    assert forward["holdPort"] is True
    argv = kubectl_argv(int(forward["pid"]))
    assert "0:8080" in argv and argv[argv.index("--address") + 1] == "127.0.0.1", argv
    assert http_get(port) == forward["pod"]
    connections = pfd.forward("web")["connections"]
    assert int(connections["accepted"]) >= 1 and int(connections["bytesOut"]) > 0, connections


def test_a_request_sent_right_after_kubectl_is_killed_is_answered(cluster, make_pfd,
                                                                  report_figure):
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    for round_number in range(5):  # the fifth time like the first
        kubectl = int(pfd.forward("web")["pid"])
        mark = pfd.mark()
        os.kill(kubectl, signal.SIGKILL)
        started = time.monotonic()
        assert http_get(port, timeout=15) == pod, f"round {round_number}"
        waited = time.monotonic() - started
        assert wait_for_exit(kubectl, 5)
        pfd.wait_for_serving("web", since=mark)
        report_figure(f"kubectl SIGKILLed, round {round_number + 1}: the next request was "
                      f"answered after {waited * 1000:.0f} ms")


def test_a_connection_waits_for_holdtimeout_then_is_closed_and_the_log_says_so(
    cluster, make_pfd
):
    cluster.add_deployment("web", replicas=0, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080",
                                                    holdTimeout="1s")))
    pfd.wait_for_state("web", "BACKOFF")
    mark = pfd.mark()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        assert closed_without_an_answer(client)
        waited = time.monotonic() - started
    assert 0.5 < waited < 8, waited
    logs = pfd.pfctl_ok("logs", "web")
    assert "1 connection waited 1s (holdTimeout) and no kubectl served: closed" in logs, logs
    assert int(pfd.forward("web")["connections"]["dropped"]) == 1
    del mark


def test_a_held_connection_is_served_as_soon_as_a_pod_runs(cluster, make_pfd):
    cluster.add_deployment("web", replicas=0, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "BACKOFF")
    with RequestLoop(port, request_timeout=15) as client:
        cluster.scale("web", 1)
        (pod,) = cluster.pod_names("deployment/web")
        assert client.wait_for_answer(lambda answer: answer == pod) == pod
        assert client.failures == 0, client.errors


def test_failed_keeps_the_port_and_closes_connections_at_once_stopped_releases_it(
    cluster, make_pfd
):
    cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080"),
                              kubectl="/nonexistent/kubectl"))
    failed = pfd.wait_for_state("web", "FAILED")
    assert "/nonexistent/kubectl" in failed["reason"], failed["reason"]
    assert listener_pid(port) == pfd.process.pid
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed_without_an_answer(client), "closed at once, not held"
    assert "the forward is FAILED" in pfd.pfctl_ok("logs", "web")

    pfd.pfctl_ok("stop", "web")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        pass
    else:
        raise AssertionError("a STOPPED forward still holds its port")


def test_a_forward_renamed_by_a_reload_takes_its_port_over_at_once(cluster, make_pfd):
    """The old forward's listener is released before the renamed one binds: no "already in use"
    from pfd's own previous listener or child, and no backoff."""
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()
    pfd.write_config(pfd_config(cluster, kube_forward("frontend", "deployment/web",
                                                      f"{port}:8080")))
    pfd.pfctl_ok("reload")
    pfd.wait_for_state("frontend", "READY", since=mark)
    assert not [line for line in pfd.log.lines()[mark:] if "BACKOFF" in line or "in use" in line]
    assert listener_pid(port) == pfd.process.pid
    assert http_get(port) == pod


@pytest.mark.parametrize("how", ["restart", "reload"])
# Found by the chaos soak: the replaced kubectl drains its open connections, as after a pod
# switch, instead of being stopped under a response.
def test_a_response_in_progress_finishes_through_a_restart_or_a_reload(cluster, make_pfd, how):
    (pod,) = cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    answers, errors = [], []

    def slow_response() -> None:
        try:
            answers.append(http_get(port, "/slow-body?ms=2000", timeout=15))
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            errors.append(f"{type(error).__name__}: {error}")

    client = threading.Thread(target=slow_response)
    client.start()
    assert cluster.backend(pod).wait_for_slow_requests(1), "the response has begun"
    mark = pfd.mark()
    if how == "restart":
        pfd.pfctl_ok("restart", "web")
    else:
        pfd.write_config(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080",
                                                          requestTimeout="7s")))
        pfd.pfctl_ok("reload")
    pfd.wait_for_state("web", "READY", since=mark)
    client.join(20)
    assert errors == [] and answers == [pod], (answers, errors)
