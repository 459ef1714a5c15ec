"""Desktop notifications (`notify: true`): real pfd tells a stand-in notification server on a
private session bus that a forward is down and, replacing that, that it is back; and without a
session bus (or without a notification service on it) it forwards as always and says once that
notifications are off."""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.error

import pytest

from conftest import PORT_SERVER, PYTHON
from pfd_harness import LineLog, http_get, wait_for_exit

LISTENER = os.environ.get("NOTIFICATION_LISTENER_BIN", "")
DBUS_DAEMON = os.environ.get("DBUS_DAEMON_BIN", "")

# A session bus of the test's own: nothing else on it, no service activation.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class Owned:
    """A process the test started, with its stdout read line by line; killed by PID."""

    def __init__(self, argv, env=None):
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=None, env=env)
        self.log = LineLog(self.process.stdout)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        assert wait_for_exit(self.process.pid)
        self.log.wait_closed(5)


@pytest.fixture
def scratch():
    directory = tempfile.mkdtemp(prefix="pfd-notify-", dir="/tmp")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def session_bus(scratch):
    """A private dbus-daemon; yields its address."""
    assert DBUS_DAEMON and os.path.exists(DBUS_DAEMON), \
        "dbus-daemon is needed (Debian package dbus-daemon, in scripts/install-deps.sh)"
    config = os.path.join(scratch, "bus.conf")
    with open(config, "w") as out:
        out.write(BUS_CONFIG.format(socket=os.path.join(scratch, "bus")))
    daemon = Owned([DBUS_DAEMON, f"--config-file={config}", "--nofork", "--print-address"])
    try:
        yield daemon.log.wait_for(r"^unix:.*$").group(0)
    finally:
        daemon.stop()


@pytest.fixture
def listener(session_bus):
    """The stand-in notification server on the private bus; its log has one JSON line per call."""
    owned = Owned([LISTENER], env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=session_bus))
    try:
        owned.log.wait_for(r"^ready$")
        yield owned
    finally:
        owned.stop()


def gated_forward(port: int, gate: str) -> str:
    """A command forward that serves on `port` while the file `gate` exists and fails at once
    (exit 3) while it does not, so that it stays down until the test lets it up. notifyAfter is
    2s: short, yet longer than a start on a loaded machine (which would count as down too)."""
    script = (f'test -e {gate} || {{ echo "web: gate closed" >&2; exit 3; }}; '
              f'exec {PYTHON} {PORT_SERVER} {port} --name web')
    argv = ", ".join(json.dumps(a) for a in ["/bin/sh", "-c", script])
    return (f"defaults:\n  notify: true\n  notifyAfter: 2s\n"
            f"forwards:\n  - name: web\n    command: [{argv}]\n    ports: [\"{port}\"]\n"
            f"    backoff: {{initial: 100ms, max: 300ms}}\n")


def take_down(pfd, port: int, gate: str) -> None:
    os.remove(gate)
    try:
        http_get(port, "/exit?code=1")
    except (urllib.error.URLError, ConnectionError):
        pass  # it may exit before the answer is read


def notification(log, pattern: str, since: int = 0) -> dict:
    return json.loads(log.wait_for(pattern, since=since).string)


def test_down_then_back_replacing_it(make_pfd, ports, listener, session_bus, scratch):
    port = ports[0]
    gate = os.path.join(scratch, "up")
    open(gate, "w").close()
    pfd = make_pfd(gated_forward(port, gate),
                   extra_env={"DBUS_SESSION_BUS_ADDRESS": session_bus})
    pfd.wait_for_state("web", "READY")
    assert listener.log.lines() == ["ready"], "nothing is said while the forward serves"

    take_down(pfd, port, gate)
    down = notification(listener.log, r'"summary": "pfd: web is down"')
    assert down["app"] == "pfd"
    assert down["replaces_id"] == 0
    assert down["urgency"] == 2
    assert down["expire_timeout"] == -1
    assert "exit" in down["body"] or "gate closed" in down["body"], down

    open(gate, "w").close()
    back = notification(listener.log, r'"summary": "pfd: web is back"')
    assert back["replaces_id"] == down["id"]
    assert back["urgency"] == 1
    assert back["body"].startswith("down for "), back
    assert http_get(port) == "web\n"
    calls = [line for line in listener.log.lines() if line != "ready"]
    assert len(calls) == 2, calls


def test_without_a_session_bus_it_forwards_and_says_so_once(make_pfd, ports, scratch):
    port = ports[0]
    gate = os.path.join(scratch, "up")
    open(gate, "w").close()
    runtime = os.path.join(scratch, "runtime")
    os.mkdir(runtime, 0o700)
    pfd = make_pfd(gated_forward(port, gate), extra_env={
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={os.path.join(scratch, 'no-bus')}",
        "XDG_RUNTIME_DIR": runtime})
    pfd.wait_for_state("web", "READY")
    assert http_get(port) == "web\n"

    mark = pfd.mark()
    take_down(pfd, port, gate)
    pfd.wait_for_log(r"desktop notification: pfd: web is down", since=mark)
    pfd.wait_for_log(r"desktop notifications are off: no session bus", since=mark)
    open(gate, "w").close()
    pfd.wait_for_log(r"desktop notification: pfd: web is back", since=mark)
    assert http_get(port) == "web\n"
    off = [line for line in pfd.log.lines() if "desktop notifications are off" in line]
    assert len(off) == 1, off


def test_a_bus_without_a_notification_service_turns_it_off_once(make_pfd, ports, scratch,
                                                                 session_bus):
    port = ports[0]
    gate = os.path.join(scratch, "up")
    open(gate, "w").close()
    pfd = make_pfd(gated_forward(port, gate),
                   extra_env={"DBUS_SESSION_BUS_ADDRESS": session_bus})
    pfd.wait_for_state("web", "READY")
    mark = pfd.mark()
    take_down(pfd, port, gate)
    pfd.wait_for_log(r"desktop notifications are off: no notification service on the session "
                     r"bus \(org\.freedesktop\.DBus\.Error\.ServiceUnknown", since=mark)
    open(gate, "w").close()
    pfd.wait_for_log(r"desktop notification: pfd: web is back", since=mark)
    assert http_get(port) == "web\n"
    off = [line for line in pfd.log.lines() if "desktop notifications are off" in line]
    assert len(off) == 1, off


def test_a_reload_that_turns_notify_on_restarts_nothing(make_pfd, ports, listener, session_bus,
                                                        scratch):
    port = ports[0]
    gate = os.path.join(scratch, "up")
    open(gate, "w").close()
    quiet = gated_forward(port, gate).replace("notify: true", "notify: false")
    pfd = make_pfd(quiet, extra_env={"DBUS_SESSION_BUS_ADDRESS": session_bus})
    pfd.wait_for_state("web", "READY")
    pid = pfd.forward("web")["pid"]

    mark = pfd.mark()
    pfd.write_config(gated_forward(port, gate))
    pfd.pfctl_ok("reload")
    pfd.wait_for_log(r"reloaded .*: added \[\], changed \[\], removed \[\], 1 unchanged",
                     since=mark)
    assert pfd.forward("web")["pid"] == pid, "a notify setting never restarts a forward"

    take_down(pfd, port, gate)
    notification(listener.log, r'"summary": "pfd: web is down"')
