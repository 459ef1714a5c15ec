"""pfd as a systemd Type=notify service: sd_notify messages on a real NOTIFY_SOCKET, and log lines
with syslog priority prefixes under journald."""
import os
import queue
import signal
import socket
import subprocess
import threading

from conftest import PORT_SERVER, PYTHON, command_forward
from pfd_harness import DEFAULT_TIMEOUT


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

    def close(self):
        self.sock.close()


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


def test_sd_notify_messages_in_order(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), command_forward("b", ports[1])),
                   start=False)
    receiver = NotifyReceiver(os.path.join(pfd.dir, "notify.sock"))
    try:
        pfd.env["NOTIFY_SOCKET"] = receiver.path
        pfd.start()
        assert receiver.next() == "READY=1\nSTATUS=0/2 forwards ready"
        assert receiver.next() == "STATUS=1/2 forwards ready"
        assert receiver.next() == "STATUS=2/2 forwards ready"

        pfd.process.send_signal(signal.SIGHUP)
        reloading = receiver.next()
        assert reloading.startswith("RELOADING=1\nMONOTONIC_USEC="), reloading
        assert int(reloading.split("MONOTONIC_USEC=")[1]) > 0
        assert receiver.next() == "READY=1\nSTATUS=2/2 forwards ready"

        pfd.pfctl_ok("stop", "a")
        assert receiver.next() == "STATUS=1/2 forwards ready"

        assert pfd.stop() == 0
        assert receiver.next() == "STOPPING=1"
        assert receiver.messages.empty()
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


def test_journald_lines_carry_priorities_and_no_timestamps(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False)
    # JOURNAL_STREAM names the device:inode of our stderr; give pfd a pipe and its identity.
    read_end, write_end = os.pipe()
    info = os.fstat(write_end)
    env = dict(pfd.env, JOURNAL_STREAM=f"{info.st_dev}:{info.st_ino}")
    process = subprocess.Popen(pfd.command(), env=env, stderr=write_end,
                               stdout=subprocess.DEVNULL)
    os.close(write_end)
    from pfd_harness import LineLog
    pfd.process, pfd.log = process, LineLog(os.fdopen(read_end, "rb"))
    line = pfd.wait_for_log(r"a: \w+ -> READY").string
    assert line.startswith("<6>a: STARTING -> READY"), line
    pfd.pfctl_ok("stop", "a")
    pfd.process.send_signal(signal.SIGTERM)
    assert pfd.process.wait(DEFAULT_TIMEOUT) == 0


def test_log_level_flag_filters(make_pfd, ports):
    pfd = make_pfd(config(command_forward("broken", ports[0], "--exit-at-once", "1")),
                   start=False)
    process = subprocess.Popen(pfd.command(log_level="warn"), env=pfd.env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    from pfd_harness import LineLog
    pfd.process, pfd.log = process, LineLog(process.stderr)
    pfd.wait_for_state("broken", "BACKOFF")
    assert not [line for line in pfd.log.lines() if " info " in line], pfd.log.lines()

    bad = subprocess.run([pfd.pfd_bin, "--config", pfd.config, "--socket", pfd.socket + "x",
                          "--log-level", "loud"], capture_output=True, text=True, timeout=20)
    assert bad.returncode == 1 and "loud" in bad.stderr
