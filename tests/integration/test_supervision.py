"""Real pfd supervising real children (command forwards), driven by real pfctl."""
import os
import signal
import socket

from conftest import PORT_SERVER, PYTHON, command_forward
from pfd_harness import http_get, process_alive, wait_for_exit

FAST_BACKOFF = "{initial: 100ms, max: 1s, multiplier: 2, jitter: 0, resetAfter: 60s}"


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


def test_command_forward_becomes_ready_and_serves(make_pfd, ports):
    pfd = make_pfd(config(command_forward("echo", ports[0])))
    pfd.wait_for_state("echo", "READY")
    forward = pfd.forward("echo")
    assert forward["state"] == "FORWARD_STATE_READY"
    assert forward["pid"] > 0
    assert forward["ports"] == [{"localPort": ports[0], "remotePort": str(ports[0])}]
    assert http_get(ports[0]) == "echo\n"


def test_crash_backs_off_then_restarts_with_a_new_child(make_pfd, ports):
    pfd = make_pfd(config(command_forward("echo", ports[0], backoff=FAST_BACKOFF)))
    pfd.wait_for_state("echo", "READY")
    first_pid = pfd.forward("echo")["pid"]
    mark = pfd.mark()
    http_get(ports[0], "/exit?code=3")
    backoff = pfd.wait_for_state("echo", "BACKOFF", since=mark)
    assert "exited with code 3" in backoff["reason"]
    assert "retrying in 100ms" in backoff["reason"]
    pfd.wait_for_state("echo", "STARTING", since=mark)
    pfd.wait_for_state("echo", "READY", since=mark)
    forward = pfd.forward("echo")
    assert forward["pid"] != first_pid
    assert forward["restarts"] == 1
    assert "exited with code 3" in forward["lastError"]
    assert http_get(ports[0]) == "echo\n"


def test_program_that_cannot_start_backs_off_with_growing_delays(make_pfd, ports):
    pfd = make_pfd(config(command_forward("broken", ports[0], "--exit-at-once", "2",
                                          backoff=FAST_BACKOFF)))
    delays = []
    mark = 0
    for _ in range(3):
        match = pfd.wait_for_state("broken", "BACKOFF", since=mark)
        delays.append(match["reason"].rsplit("retrying in ", 1)[1])
        mark = pfd.mark()
    assert delays == ["100ms", "200ms", "400ms"]
    forward = pfd.forward("broken")
    assert forward["lastError"] == "broken: refusing to start"


def test_an_executable_that_is_not_a_program_is_failed_until_a_reload(make_pfd, ports):
    pfd = make_pfd("forwards: []\n")
    tunnel = os.path.join(pfd.dir, "tunnel")
    with open(tunnel, "w") as out:
        out.write("not a program\n")  # no #! line: execve says "Exec format error"
    os.chmod(tunnel, 0o755)
    mark = pfd.mark()
    pfd.write_config(config(f'  - name: tunnel\n    command: ["{tunnel}"]\n'
                            f'    ports: ["{ports[0]}"]\n    backoff: {FAST_BACKOFF}\n'))
    failed = pfd.wait_for_state("tunnel", "FAILED", since=mark)
    assert f"cannot execute {tunnel}: Exec format error" in failed["reason"], failed["reason"]
    forward = pfd.forward("tunnel")
    assert "nextRetryTime" not in forward, "FAILED waits instead of retrying"

    # Fixed outside the config: a reload (the spec is the same) tries it again.
    with open(tunnel + ".new", "w") as out:
        out.write(f"#!/bin/sh\nexec {PYTHON} {PORT_SERVER} {ports[0]} --name tunnel\n")
    os.chmod(tunnel + ".new", 0o755)
    os.replace(tunnel + ".new", tunnel)
    mark = pfd.mark()
    assert "unchanged: 1" in pfd.pfctl_ok("reload")
    pfd.wait_for_state("tunnel", "READY", since=mark)
    assert http_get(ports[0]) == "tunnel\n"


def test_a_command_forward_whose_port_is_taken_says_by_whom(make_pfd, ports):
    # Without the check its readiness connection would reach this listener and call it READY.
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", ports[0]))
        holder.listen()
        pfd = make_pfd(config(command_forward("echo", ports[0], backoff=FAST_BACKOFF)))
        backoff = pfd.wait_for_state("echo", "BACKOFF")
        assert f"local port {ports[0]} is already in use by pid {os.getpid()} (" \
            in backoff["reason"], backoff["reason"]
        mark = pfd.mark()
    pfd.wait_for_state("echo", "READY", since=mark)
    assert http_get(ports[0]) == "echo\n"


def test_exit_code_zero_is_a_failure(make_pfd, ports):
    pfd = make_pfd(config(command_forward("echo", ports[0], backoff=FAST_BACKOFF)))
    pfd.wait_for_state("echo", "READY")
    mark = pfd.mark()
    http_get(ports[0], "/exit?code=0")
    match = pfd.wait_for_state("echo", "BACKOFF", since=mark)
    assert "exited with code 0" in match["reason"]


def test_stop_start_and_restart_over_the_socket(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), command_forward("b", ports[1])))
    pfd.wait_for_state("a", "READY")
    pfd.wait_for_state("b", "READY")
    a_pid = pfd.forward("a")["pid"]
    b_pid = pfd.forward("b")["pid"]

    out = pfd.pfctl_ok("stop", "a")
    assert "a stopped" in out
    assert wait_for_exit(a_pid), "stop must end the child"
    a = pfd.forward("a")
    assert a["state"] == "FORWARD_STATE_STOPPED"
    assert a.get("pid", 0) == 0
    assert pfd.forward("b")["pid"] == b_pid, "b is untouched"

    mark = pfd.mark()
    pfd.pfctl_ok("start", "a")
    pfd.wait_for_state("a", "READY", since=mark)
    new_a_pid = pfd.forward("a")["pid"]
    assert new_a_pid not in (0, a_pid)

    mark = pfd.mark()
    assert "b restarted" in pfd.pfctl_ok("restart", "b")
    pfd.wait_for_state("b", "READY", since=mark)
    assert wait_for_exit(b_pid)
    assert pfd.forward("b")["pid"] != b_pid
    assert pfd.forward("a")["pid"] == new_a_pid

    mark = pfd.mark()
    pfd.pfctl_ok("restart", "--all")
    pfd.wait_for_state("a", "READY", since=mark)
    pfd.wait_for_state("b", "READY", since=mark)


def test_stopped_forward_is_not_restarted(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0], backoff=FAST_BACKOFF)))
    pfd.wait_for_state("a", "READY")
    pid = pfd.forward("a")["pid"]
    pfd.pfctl_ok("stop", "a")
    assert wait_for_exit(pid)
    # A restart would have been logged as STARTING; the watch shows none while we look.
    mark = pfd.mark()
    pfd.pfctl_ok("status")
    assert pfd.forward("a")["state"] == "FORWARD_STATE_STOPPED"
    assert not any("a: STOPPED -> STARTING" in line for line in pfd.log.lines()[mark:])


def test_sigterm_escalates_to_sigkill_for_a_child_that_ignores_it(make_pfd, ports):
    pfd = make_pfd(config(command_forward("stubborn", ports[0], "--ignore-sigterm")),
                   start=False)
    pfd.start("--stop-grace-ms", "300")
    pfd.wait_for_state("stubborn", "READY")
    pid = pfd.forward("stubborn")["pid"]
    pfd.pfctl_ok("stop", "stubborn")
    assert wait_for_exit(pid, 10), "the child survived SIGTERM + SIGKILL"


def test_stop_kills_the_whole_process_group(make_pfd, ports):
    pfd = make_pfd(config(command_forward("family", ports[0], "--spawn-grandchild")))
    grandchild = int(pfd.wait_for_log(r"family\| grandchild (\d+)")[1])
    pfd.wait_for_state("family", "READY")
    try:
        assert process_alive(grandchild)
        pfd.pfctl_ok("stop", "family")
        assert wait_for_exit(grandchild), "the grandchild outlived its forward"
    finally:
        if process_alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)


def test_unknown_name_is_an_error_listing_the_known_ones(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0]), command_forward("db", ports[1])))
    for verb in ("restart", "stop", "start", "logs", "status"):
        result = pfd.pfctl(verb, "nope")
        assert result.returncode == 1, verb
        assert "nope" in result.stderr and "web" in result.stderr and "db" in result.stderr, \
            result.stderr


def test_sigterm_stops_every_child_and_exits_zero(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), command_forward("b", ports[1])))
    pfd.wait_for_state("a", "READY")
    pfd.wait_for_state("b", "READY")
    pids = [f["pid"] for f in pfd.status()["forwards"]]
    assert pfd.stop() == 0
    for pid in pids:
        assert wait_for_exit(pid, 5)
    assert not os.path.exists(pfd.socket), "the socket is removed on a clean exit"


def test_sigint_also_exits_zero(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])))
    pfd.wait_for_state("a", "READY")
    pid = pfd.forward("a")["pid"]
    pfd.process.send_signal(signal.SIGINT)
    assert pfd.process.wait(20) == 0
    assert wait_for_exit(pid, 5)
