"""pfd as a systemd Type=notify service: sd_notify messages on a real NOTIFY_SOCKET, and log lines
with syslog priority prefixes under journald."""
import os
import pty
import queue
import re
import signal
import socket
import subprocess
import threading

import pytest
from conftest import PORT_SERVER, PYTHON, command_forward
from pfd_harness import DEFAULT_TIMEOUT, LineLog


class NotifyReceiver:
    """The systemd end of NOTIFY_SOCKET: a datagram socket whose messages go to a queue."""

    def __init__(self, path: str):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            self.messages.put(data.decode())

    def next(self, skip_watchdog: bool = True) -> str:
        while True:
            message = self.messages.get(timeout=DEFAULT_TIMEOUT)
            if not (skip_watchdog and message == "WATCHDOG=1"):
                return message

    def rest(self) -> list:
        """Every message still to come, once the sender has exited: a datagram we send ourselves
        queues behind everything already sent, so when the pump hands it over, none is left."""
        sentinel = "test: end of messages"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(sentinel.encode(), self.path)
        messages = []
        while (message := self.next(skip_watchdog=False)) != sentinel:
            messages.append(message)
        return messages

    def close(self):
        self.sock.close()


def config(*forwards: str, header: str = "") -> str:
    return header + "forwards:\n" + "".join(forwards)


def notify_env(pfd, receiver: NotifyReceiver) -> None:
    """pfd reports to `receiver`, and has no watchdog unless the test sets one."""
    pfd.env["NOTIFY_SOCKET"] = receiver.path
    for name in ("WATCHDOG_USEC", "WATCHDOG_PID"):
        pfd.env.pop(name, None)


def test_sd_notify_messages_in_order(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), command_forward("b", ports[1])),
                   start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        notify_env(pfd, receiver)
        pfd.start(wait=False)
        # Without WATCHDOG_USEC there must be no WATCHDOG=1 at all: nothing is skipped here.
        assert receiver.next(skip_watchdog=False) == "READY=1\nSTATUS=0/2 forwards ready"
        # READY=1 promises a control socket that answers: no retry.
        assert pfd.pfctl("status").returncode == 0
        assert receiver.next(skip_watchdog=False) == "STATUS=1/2 forwards ready"
        assert receiver.next(skip_watchdog=False) == "STATUS=2/2 forwards ready"

        pfd.process.send_signal(signal.SIGHUP)
        reloading = receiver.next(skip_watchdog=False)
        assert reloading.startswith("RELOADING=1\nMONOTONIC_USEC="), reloading
        assert int(reloading.split("MONOTONIC_USEC=")[1]) > 0
        assert receiver.next(skip_watchdog=False) == "READY=1\nSTATUS=2/2 forwards ready"

        pfd.pfctl_ok("stop", "a")
        assert receiver.next(skip_watchdog=False) == "STATUS=1/2 forwards ready"

        assert pfd.stop() == 0
        assert receiver.next(skip_watchdog=False) == "STOPPING=1"
        assert receiver.rest() == [], "nothing after STOPPING=1"
    finally:
        receiver.close()


def test_idle_on_demand_forwards_count_as_healthy_in_the_status(make_pfd, ports):
    """An onDemand forward waits for its first connection, IDLE, with no kubectl (this one's
    kubectl could not even run): STATUS counts it beside the READY ones."""
    idle = (f"  - name: lazy\n    target: deployment/web\n    ports: [\"{ports[1]}\"]\n"
            f"    start: onDemand\n    kubectl: /nonexistent/kubectl\n")
    pfd = make_pfd(config(command_forward("a", ports[0]), idle), start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        notify_env(pfd, receiver)
        pfd.start()
        assert receiver.next() == "READY=1\nSTATUS=0 ready, 1 idle of 2 forwards"
        assert receiver.next() == "STATUS=1 ready, 1 idle of 2 forwards"
        assert pfd.forward("lazy")["state"] == "FORWARD_STATE_IDLE"
    finally:
        receiver.close()


def test_a_failed_reload_shows_in_status_until_a_good_one(make_pfd, ports):
    good = config(command_forward("a", ports[0]), header="reloadOnChange: false\n")
    pfd = make_pfd(good, start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        notify_env(pfd, receiver)
        pfd.start()
        assert receiver.next() == "READY=1\nSTATUS=0/1 forwards ready"
        assert receiver.next() == "STATUS=1/1 forwards ready"

        # A long name makes a long error: STATUS keeps its start (file:line:column and what is
        # wrong) and marks the cut.
        pfd.write_config(good + "  - name: Bad_" + "x" * 300 + "\n    target: deployment/x\n"
                         '    ports: ["1"]\n')
        assert pfd.pfctl("reload").returncode == 1
        assert receiver.next().startswith("RELOADING=1\n")
        failed = receiver.next()
        prefix = f"READY=1\nSTATUS=1/1 forwards ready; reload failed: {pfd.config}:6:11: "
        assert failed.startswith(prefix), failed
        assert "Bad_x" in failed and failed.endswith("…") and "\n" not in failed[len(prefix):]
        assert len(failed.encode()) < len(prefix) + 200, failed

        # The note stays on every STATUS until a reload succeeds.
        pfd.pfctl_ok("stop", "a")
        stopped = receiver.next()
        assert stopped.startswith(f"STATUS=0/1 forwards ready; reload failed: {pfd.config}:6:11: ")

        pfd.write_config(good)
        pfd.pfctl_ok("reload")
        assert receiver.next().startswith("RELOADING=1\n")
        assert receiver.next() == "READY=1\nSTATUS=0/1 forwards ready"
    finally:
        receiver.close()


def test_sighup_while_stopping_sends_nothing_after_stopping(make_pfd, ports):
    # The child ignores SIGTERM, so pfd is still stopping (for the stop grace) when SIGHUP comes.
    pfd = make_pfd(config(command_forward("a", ports[0], "--ignore-sigterm")), start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        notify_env(pfd, receiver)
        pfd.start("--stop-grace-ms", "3000")
        assert receiver.next() == "READY=1\nSTATUS=0/1 forwards ready"
        assert receiver.next() == "STATUS=1/1 forwards ready"
        pfd.process.send_signal(signal.SIGTERM)
        assert receiver.next() == "STOPPING=1"
        pfd.process.send_signal(signal.SIGHUP)
        pfd.wait_for_log(r"SIGHUP ignored: pfd is stopping")
        assert pfd.process.wait(DEFAULT_TIMEOUT) == 0
        assert receiver.rest() == [], "nothing after STOPPING=1"
    finally:
        receiver.close()


def test_children_do_not_inherit_pfds_notify_socket(make_pfd, ports):
    # A child that speaks sd_notify must not report to pfd's unit as if it were pfd.
    show = "echo child sees NOTIFY_SOCKET=${NOTIFY_SOCKET:-unset} WATCHDOG_USEC=${WATCHDOG_USEC:-unset}"
    serve = f"exec {PYTHON} {PORT_SERVER} {ports[0]} --name a"
    forward = (f'  - name: a\n    command: ["/bin/sh", "-c", "{show}; {serve}"]\n'
               f'    ports: ["{ports[0]}"]\n')
    pfd = make_pfd(config(forward), start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        pfd.env["NOTIFY_SOCKET"] = receiver.path
        pfd.env["WATCHDOG_USEC"] = "60000000"
        pfd.start()
        assert receiver.next() == "READY=1\nSTATUS=0/1 forwards ready"
        assert receiver.next() == "STATUS=1/1 forwards ready"
        assert "child sees NOTIFY_SOCKET=unset WATCHDOG_USEC=unset" in pfd.pfctl_ok("logs", "a")
    finally:
        receiver.close()


def test_watchdog_is_petted_when_the_unit_sets_one(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        pfd.env["NOTIFY_SOCKET"] = receiver.path
        pfd.env["WATCHDOG_USEC"] = "200000"
        pfd.start()
        seen = 0
        while seen < 3:
            if receiver.next(skip_watchdog=False) == "WATCHDOG=1":
                seen += 1
    finally:
        receiver.close()


def test_no_notify_socket_means_no_messages_and_no_errors(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])))
    pfd.wait_for_state("a", "READY")
    assert not any("sd_notify" in line for line in pfd.log.lines())


TIMESTAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} "


def start_with_stderr(pfd, stderr_fd: int, reader, env: dict) -> None:
    """Starts pfd with its stderr on `stderr_fd` (closed here); its lines are read from
    `reader`, a binary stream, and cleanup stops it as usual."""
    process = subprocess.Popen(pfd.command(), env=env, stderr=stderr_fd,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    os.close(stderr_fd)
    pfd.process, pfd.log = process, LineLog(reader)


def start_on_a_pipe(pfd, journal_stream=None) -> None:
    """pfd's stderr is a pipe; JOURNAL_STREAM is the pipe's identity when journal_stream is
    True, else that string (or unset)."""
    read_end, write_end = os.pipe()
    env = dict(pfd.env)
    if journal_stream is True:
        info = os.fstat(write_end)
        env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
    elif journal_stream:
        env["JOURNAL_STREAM"] = journal_stream
    start_with_stderr(pfd, write_end, os.fdopen(read_end, "rb"), env)


def test_journald_lines_carry_priorities_and_no_timestamps(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]),
                          command_forward("broken", ports[1], "--exit-at-once", "1"),
                          header="reloadOnChange: false\n"), start=False)
    # JOURNAL_STREAM names the device:inode of our stderr; give pfd a pipe and its identity.
    start_on_a_pipe(pfd, journal_stream=True)
    line = pfd.wait_for_log(r"a: \w+ -> READY").string
    assert line.startswith("<6>a: STARTING -> READY"), line
    line = pfd.wait_for_log(r"broken: \w+ -> BACKOFF").string
    assert line.startswith("<4>broken: STARTING -> BACKOFF"), line
    pfd.write_config("forwards: [\n")
    pfd.process.send_signal(signal.SIGHUP)
    line = pfd.wait_for_log(r"reload failed").string
    assert line.startswith("<3>reload failed, the running forwards are unchanged: "), line
    assert not [line for line in pfd.log.lines() if not line.startswith("<")], pfd.log.lines()
    pfd.pfctl_ok("stop", "--all")
    assert pfd.stop() == 0


def test_a_journal_stream_that_is_not_our_stderr_keeps_terminal_lines(make_pfd, ports):
    # systemd.exec(5): JOURNAL_STREAM may be inherited by a process whose stderr was redirected
    # elsewhere; only a matching device:inode means the journal.
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False)
    other = os.stat(pfd.config)
    start_on_a_pipe(pfd, journal_stream=f"{other.st_dev}:{other.st_ino}")
    line = pfd.wait_for_log(r"a: \w+ -> READY").string
    assert re.match(TIMESTAMP + r"info +a: STARTING -> READY", line), line
    assert not [line for line in pfd.log.lines() if re.match(r"<\d>", line)], pfd.log.lines()
    assert pfd.stop() == 0


class PtyReader:
    """The master side of a pty as a binary stream whose end is EOF: reading after the last
    writer closed the slave raises EIO on Linux."""

    def __init__(self, fd: int):
        self.file = os.fdopen(fd, "rb", buffering=0)

    def readline(self) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n"):
            try:
                byte = self.file.read(1)
            except OSError:
                byte = b""
            if not byte:
                break
            line += byte
        return bytes(line)


@pytest.mark.parametrize("no_color, coloured", [(None, True), ("", True), ("1", False)])
def test_a_terminal_gets_timestamps_and_colour_unless_no_color(make_pfd, ports, no_color,
                                                               coloured):
    pfd = make_pfd(config(command_forward("broken", ports[0], "--exit-at-once", "1")),
                   start=False)
    master, slave = pty.openpty()
    env = dict(pfd.env, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    if no_color is not None:
        env["NO_COLOR"] = no_color  # https://no-color.org: an empty value does not count
    start_with_stderr(pfd, slave, PtyReader(master), env)
    line = pfd.wait_for_log(r"broken: \w+ -> BACKOFF").string
    assert re.match(TIMESTAMP, line), repr(line)
    assert ("\x1b[" in line) == coloured, repr(line)
    assert pfd.stop() == 0


def test_log_level_flag_filters(make_pfd, ports):
    pfd = make_pfd(config(command_forward("broken", ports[0], "--exit-at-once", "1")),
                   start=False)
    process = subprocess.Popen(pfd.command(log_level="warn"), env=pfd.env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    pfd.process, pfd.log = process, LineLog(process.stderr)
    pfd.wait_for_state("broken", "BACKOFF")
    assert not [line for line in pfd.log.lines() if " info " in line], pfd.log.lines()

    bad = subprocess.run([pfd.pfd_bin, "--config", pfd.config, "--socket", pfd.socket + "x",
                          "--log-level", "loud"], capture_output=True, text=True, timeout=20)
    assert bad.returncode == 1 and "loud" in bad.stderr
