"""pfctl describe against the real pfd: spec, state, child, probe results and the forward's
event history, as text and as JSON."""
import json

from conftest import command_forward
from pfd_harness import http_get

FAST_BACKOFF = "{initial: 100ms, max: 1s}"


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


def probed_forward(name: str, port: int) -> str:
    return (command_forward(name, port, backoff=FAST_BACKOFF) +
            "    readiness: {httpGet: {path: /}, periodSeconds: 1}\n")


def test_describe_shows_spec_child_probe_and_events(make_pfd, ports):
    pfd = make_pfd(config(probed_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    first_pid = pfd.forward("web")["pid"]
    mark = pfd.mark()
    http_get(ports[0], "/exit?code=3")  # the child dies: BACKOFF, then a new one
    pfd.wait_for_state("web", "BACKOFF", since=mark)
    pfd.wait_for_state("web", "READY", since=mark)
    pid = pfd.forward("web")["pid"]
    assert pid != first_pid

    out = pfd.pfctl_ok("describe", "web")
    fields = {}
    for line in out.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith("    "):
            fields.setdefault(key.strip(), value.strip())
    assert fields["Name"] == "web"
    assert fields["Command"].startswith("/usr/bin/python3 ")  # the forward's own command
    assert fields["Ports"] == str(ports[0])
    assert fields["State"] == "READY"
    assert fields["Since"].endswith("ago)")
    assert fields["Restarts"] == "1"
    assert fields["PID"] == str(pid)
    assert fields["Readiness"].startswith("httpGet http://127.0.0.1:%d/ " % ports[0])
    assert "period=1s" in fields["Readiness"] and "#failure=3" in fields["Readiness"]
    assert fields["Backoff"].startswith("initial=100ms max=1s")
    assert "Last Results" in fields
    assert "    ok    " in out  # a passed probe, newest first
    events = out[out.index("Events:"):].splitlines()
    assert events[1].split() == ["Type", "Reason", "Age", "Message"]
    rows = [line.split(None, 3) for line in events[3:]]
    assert ["Normal", "Ready"] in [row[:2] for row in rows]
    backoff = [row for row in rows if row[1] == "BackOff"]
    assert backoff and backoff[0][0] == "Warning"
    assert "READY -> BACKOFF" in backoff[0][3] or "STARTING -> BACKOFF" in backoff[0][3]
    assert "exit" in backoff[0][3]

    data = json.loads(pfd.pfctl_ok("describe", "web", "-o", "json"))
    assert data["forward"]["name"] == "web"
    assert data["forward"]["pid"] == pid
    assert data["commandLine"][0] == "/usr/bin/python3"
    assert str(ports[0]) in data["commandLine"]
    assert data["probe"]["kind"] == "httpGet" and data["probe"]["period"] == "1s"
    assert data["backoff"]["initial"] == "0.100s"
    assert data["probeResults"][-1]["success"] is True
    reasons = [(e["type"], e["reason"]) for e in data["events"]]
    assert ("EVENT_TYPE_NORMAL", "Starting") in reasons
    assert ("EVENT_TYPE_WARNING", "BackOff") in reasons
    assert reasons[-1] == ("EVENT_TYPE_NORMAL", "Ready")
    for event in data["events"]:
        assert event["firstTime"] <= event["lastTime"]
        assert event["count"] >= 1


def test_describe_a_stopped_forward_has_no_child(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    pfd.pfctl_ok("stop", "web")
    out = pfd.pfctl_ok("describe", "web")
    assert "State:          STOPPED" in out
    assert "  PID:          <none>" in out
    assert "  Command:      <none>" in out
    assert "stopped by the user" in out.splitlines()[-1]


def test_describe_an_unknown_forward_names_the_known_ones(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    result = pfd.pfctl("describe", "nope")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "nope" in result.stderr and "web" in result.stderr


def test_describe_needs_a_name_and_a_known_format(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    assert pfd.pfctl("describe").returncode == 64
    assert pfd.pfctl("describe", "web", "-o", "yaml").returncode == 64
