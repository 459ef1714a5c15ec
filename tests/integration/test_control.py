"""pfctl against a real pfd: status formats, logs, watch, version."""
import json
import re
import subprocess

from conftest import command_forward
from pfd_harness import LineLog, http_get


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


def test_status_table_lists_every_forward(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0]), command_forward("db", ports[1])))
    pfd.wait_for_state("web", "READY")
    pfd.wait_for_state("db", "READY")
    out = pfd.pfctl_ok("status")
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "TARGET", "PORTS", "STATE"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"web", "db"}
    assert "READY" in rows["web"] and str(ports[0]) in rows["web"]
    only = pfd.pfctl_ok("status", "db").splitlines()
    assert len(only) == 2 and only[1].startswith("db")


def test_status_json_is_the_proto3_mapping(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    data = json.loads(pfd.pfctl_ok("status", "-o", "json"))
    forward = data["forwards"][0]
    for field in ("name", "command", "ports", "state", "pid", "restarts", "stateSince",
                  "timeInState", "lastError", "enabled"):
        assert field in forward, field
    assert forward["restarts"] == 0
    assert data["config"]["path"] == pfd.config
    assert data["config"]["stale"] is False


def test_status_wide_shows_pid(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    pid = pfd.forward("web")["pid"]
    out = pfd.pfctl_ok("status", "-o", "wide")
    assert "PID" in out.splitlines()[0]
    assert str(pid) in out


def test_logs_show_the_childs_output_and_follow_new_lines(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    http_get(ports[0], "/say?text=hello-one")
    pfd.wait_for_log(r"web\| stderr: hello-one")
    out = pfd.pfctl_ok("logs", "web")
    assert "hello-one" in out
    assert "stderr: hello-one" in out
    assert "web listening on" in out

    tail = pfd.pfctl_ok("logs", "web", "--tail", "1")
    assert len(tail.splitlines()) == 1

    follower = subprocess.Popen([pfd.pfctl_bin, "--socket", pfd.socket, "logs", "web", "-f"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pfd.env)
    try:
        lines = LineLog(follower.stdout)
        lines.wait_for(r"hello-one")  # the kept lines come first
        http_get(ports[0], "/say?text=hello-two")
        lines.wait_for(r"^hello-two$")
    finally:
        follower.terminate()
        follower.wait(10)


def test_watch_streams_state_changes(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    watcher = subprocess.Popen([pfd.pfctl_bin, "--socket", pfd.socket, "watch"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pfd.env)
    try:
        lines = LineLog(watcher.stdout)
        lines.wait_for(r"^web\s.*READY")
        mark = lines.mark()
        pfd.pfctl_ok("stop", "web")
        lines.wait_for(r"^web\s.*STOPPED", since=mark)
        pfd.pfctl_ok("start", "web")
        lines.wait_for(r"^web\s.*STARTING", since=mark)
        lines.wait_for(r"^web\s.*READY", since=mark)
    finally:
        watcher.terminate()
        watcher.wait(10)


def test_version_reports_client_and_server(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    out = pfd.pfctl_ok("version").splitlines()
    assert out[:5] == ["Client Version: 0.1.0", "Server Version: 0.1.0",
                       f"Server PID: {pfd.process.pid}", f"Config: {pfd.config}",
                       f"Socket: {pfd.socket}"], out
    assert re.fullmatch(r"Started: \S+Z \(\d+s ago\)", out[5]), out
