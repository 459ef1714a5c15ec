"""Readiness probes end to end: the real pfd probes real servers (command forwards running
probe_targets.py on 127.0.0.1) and reports through the real pfctl. Every wait is on an event: a
line in pfd's log (transitions, probe results, the server's own cues) or in `pfctl watch`."""
import contextlib
import datetime
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import PYTHON, command_forward
from pfd_harness import LineLog, http_get

PROBE_TARGETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe_targets.py")
FAST_BACKOFF = "{initial: 100ms, max: 1s, multiplier: 2, jitter: 0, resetAfter: 60s}"
# Long enough that `pfctl status` taken right after the BACKOFF line still sees the last probe
# result of the run that was just killed (the next run replaces it).
SLOW_BACKOFF = "{initial: 3s, max: 3s, multiplier: 1, jitter: 0, resetAfter: 60s}"

STARTING = "FORWARD_STATE_STARTING"
READY = "FORWARD_STATE_READY"
BACKOFF = "FORWARD_STATE_BACKOFF"


def config(*forwards: str, header: str = "") -> str:
    return header + "forwards:\n" + "".join(forwards)


def target_forward(name: str, port: int, mode: str, *extra: str, readiness: str = "",
                   backoff: str = FAST_BACKOFF) -> str:
    """YAML for a command forward running probe_targets.py MODE on `port`."""
    argv = [PYTHON, PROBE_TARGETS, mode, str(port), "--name", name, *extra]
    lines = [f"  - name: {name}", f"    command: {json.dumps(argv)}", f'    ports: ["{port}"]']
    if readiness:
        lines.append(f"    readiness: {readiness}")
    if backoff:
        lines.append(f"    backoff: {backoff}")
    return "\n".join(lines) + "\n"


def wait_line(pfd, pattern: str, since: int = 0):
    """Waits for a log line matching `pattern`; returns (its index, the match), so that the next
    wait can start right after it."""
    pfd.wait_for_log(pattern, since=since)
    regex = re.compile(pattern)
    lines = pfd.log.lines()
    for index in range(since, len(lines)):
        match = regex.search(lines[index])
        if match:
            return index, match
    raise AssertionError(f"{pattern!r} matched, then vanished")  # unreachable


def transition(pfd, name: str, state: str, since: int = 0):
    """(index, reason) of the first `NAME: X -> STATE: reason` line at or after `since`."""
    index, match = wait_line(pfd, rf"\b{re.escape(name)}: \w+ -> {state}: (?P<reason>.*)$", since)
    return index, match["reason"]


def started_pid(reason: str) -> int:
    return int(re.match(r"started pid (\d+)", reason)[1])


def probe_result_line(name: str, outcome: str, message: str = "") -> str:
    suffix = re.escape(message) + "$" if message else ""
    return rf"\b{re.escape(name)}: readiness probe {outcome}: {suffix}"


def count_lines(pfd, pattern: str, start: int = 0, end=None) -> int:
    regex = re.compile(pattern)
    return sum(1 for line in pfd.log.lines()[start:end] if regex.search(line))


@contextlib.contextmanager
def watching(pfd, name: str):
    """The rows `pfctl watch NAME` prints, as a LineLog; the watch is stopped afterwards."""
    watcher = subprocess.Popen([pfd.pfctl_bin, "--socket", pfd.socket, "watch", name],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pfd.env)
    try:
        yield LineLog(watcher.stdout)
    finally:
        watcher.terminate()
        watcher.wait(10)


def table_rows(output: str) -> dict:
    lines = output.splitlines()
    return {line.split()[0]: line for line in lines[1:] if line.strip()}


def table_cells(output: str, title: str, next_title: str) -> dict:
    """Each row's cell in column `title` (columns are aligned under their titles)."""
    header = output.splitlines()[0]
    start, end = header.index(title), header.index(next_title)
    return {name: row[start:end].strip() for name, row in table_rows(output).items()}


def parse_timestamp(text: str) -> datetime.datetime:
    """An RFC 3339 timestamp as protobuf's JSON writes it (up to nanoseconds, "Z")."""
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?Z", text)
    assert match, text
    fraction = (match[2] or ".0")[:7]
    return datetime.datetime.fromisoformat(match[1] + fraction + "+00:00")


@pytest.fixture(scope="module")
def self_signed_cert(tmp_path_factory):
    """A certificate for 127.0.0.1 signed by nobody a client trusts, made at test time."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return str(cert), str(key)


# HTTP ----------------------------------------------------------------------------------------

def test_http_probe_makes_the_forward_ready_only_after_success_threshold_passes(make_pfd, ports):
    port = ports[0]
    # The server answers the first /healthz and holds the next one until /release, so the state
    # between the first and the second pass can be looked at without racing the period.
    pfd = make_pfd(config(target_forward(
        "web", port, "http", "--hold-after", "1",
        readiness="{httpGet: {path: /healthz}, periodSeconds: 1, timeoutSeconds: 30, "
                  "successThreshold: 2}")))
    passed, _ = wait_line(pfd, probe_result_line("web", "passed", "HTTP 200"))
    forward = pfd.forward("web")
    assert forward["state"] == STARTING
    assert forward["readiness"]["success"] is True
    assert forward["readiness"]["consecutiveSuccesses"] == 1

    wait_line(pfd, r"\bweb\| holding /healthz$", since=passed)
    forward = pfd.forward("web")
    assert forward["state"] == STARTING, "one pass is not enough with successThreshold 2"
    assert forward["readiness"]["consecutiveSuccesses"] == 1

    mark = pfd.mark()
    http_get(port, "/release")
    ready, reason = transition(pfd, "web", "READY", since=mark)
    assert reason == f"forwarding {port}"
    assert count_lines(pfd, r"\bweb: \w+ -> READY", end=mark) == 0
    forward = pfd.forward("web")
    assert forward["state"] == READY
    assert forward["readiness"]["consecutiveSuccesses"] >= 2


def test_http_500_makes_the_forward_unhealthy_and_restarts_its_child(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "bad", port, "http", "--status", "500",
        readiness="{httpGet: {path: /healthz}, periodSeconds: 1, failureThreshold: 3}",
        backoff=SLOW_BACKOFF)))
    expected = "readiness probe failed: HTTP 500 from /healthz"
    started, reason = transition(pfd, "bad", "STARTING")
    first_pid = started_pid(reason)
    unhealthy, reason = transition(pfd, "bad", "UNHEALTHY", since=started)
    assert reason == expected
    assert count_lines(pfd, r"\bbad: \w+ -> READY", end=unhealthy) == 0

    backoff, reason = transition(pfd, "bad", "BACKOFF", since=unhealthy)
    assert reason == f"{expected}; retrying in 3s"
    forward = pfd.forward("bad")
    assert forward["state"] == BACKOFF
    assert forward["lastError"] == expected
    # UNHEALTHY came exactly at the threshold: the killed run's last result counted 3 failures.
    assert forward["readiness"]["consecutiveFailures"] == 3
    assert forward["readiness"]["success"] is False
    row = table_rows(pfd.pfctl_ok("status"))["bad"]
    assert row.endswith(expected), row

    _, reason = transition(pfd, "bad", "STARTING", since=backoff)
    second_pid = started_pid(reason)
    assert second_pid != first_pid
    forward = pfd.forward("bad")
    assert forward["restarts"] == 1
    assert forward["lastError"] == expected


def test_a_server_that_never_answers_fails_the_probe_with_a_timeout(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "stuck", port, "hang",
        readiness="{httpGet: {path: /healthz}, periodSeconds: 1, timeoutSeconds: 1, "
                  "failureThreshold: 1}",
        backoff=SLOW_BACKOFF)))
    failed, _ = wait_line(pfd, probe_result_line("stuck", "failed", "timeout after 1s"))
    _, reason = transition(pfd, "stuck", "UNHEALTHY", since=failed)
    assert reason == "readiness probe failed: timeout after 1s"
    # The probe gave up on its own and hung up: the server saw the connection close within
    # timeoutSeconds + 100 ms of accepting it (the bound the probes issue sets; bench/
    # daemon_probe_timeout.py measures the distribution). The server's clock starts at its
    # accept, a little after pfd's, so it may read just under 1000 ms. The connection held open
    # for 500 ms or more is the probe's (pfd's start-up port check closes its own at once).
    _, closed = wait_line(
        pfd, r"\bstuck\| peer closed \d+ after (?P<ms>(?:[1-9]\d{3,}|[5-9]\d\d)(?:\.\d+)?) ms$")
    assert float(closed.group("ms")) <= 1100, closed.group(0)
    transition(pfd, "stuck", "BACKOFF", since=failed)
    readiness = pfd.forward("stuck")["readiness"]
    assert readiness["success"] is False
    assert readiness["message"] == "timeout after 1s"
    assert re.fullmatch(r"\d+(\.\d+)?s", readiness["latency"]), readiness
    assert float(readiness["latency"][:-1]) <= 1.1, readiness


# TCP -----------------------------------------------------------------------------------------

def test_tcp_probe_passes_when_the_port_accepts(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "db", port, "tcp", readiness=f"{{tcpSocket: {{port: {port}}}, periodSeconds: 1}}")))
    passed, _ = wait_line(pfd, probe_result_line("db", "passed", "connected"))
    transition(pfd, "db", "READY", since=passed)
    readiness = pfd.forward("db")["readiness"]
    assert readiness["kind"] == "tcpSocket"
    assert readiness["success"] is True
    assert readiness["message"] == "connected"


def test_tcp_probe_refused_makes_the_forward_unhealthy_until_a_new_child_listens(make_pfd,
                                                                                  ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "db", port, "tcp", readiness="{tcpSocket: {}, periodSeconds: 1, failureThreshold: 1}")))
    started, reason = transition(pfd, "db", "STARTING")
    first_pid = started_pid(reason)
    ready, _ = transition(pfd, "db", "READY", since=started)

    os.kill(first_pid, signal.SIGUSR1)  # the server closes its listening socket
    closed, _ = wait_line(pfd, r"\bdb\| listener closed$", since=ready)
    expected = f"connection refused on 127.0.0.1:{port}"
    failed, _ = wait_line(pfd, probe_result_line("db", "failed", expected), since=ready)
    unhealthy, reason = transition(pfd, "db", "UNHEALTHY", since=failed)
    assert reason == f"readiness probe failed: {expected}"

    restarted, reason = transition(pfd, "db", "STARTING", since=unhealthy)
    assert started_pid(reason) != first_pid
    transition(pfd, "db", "READY", since=restarted)
    assert pfd.forward("db")["lastError"] == f"readiness probe failed: {expected}"


# exec ----------------------------------------------------------------------------------------

def test_exec_probe_exit_zero_makes_the_forward_ready(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "job", port, "tcp",
        readiness='{exec: {command: ["/bin/sh", "-c", "echo all good"]}, periodSeconds: 1}')))
    passed, _ = wait_line(pfd, probe_result_line("job", "passed", "exit code 0"))
    transition(pfd, "job", "READY", since=passed)
    readiness = pfd.forward("job")["readiness"]
    assert readiness["kind"] == "exec"
    assert readiness["message"] == "exit code 0"


def test_exec_probe_exit_one_fails_with_the_commands_last_output_line(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "job", port, "tcp",
        readiness='{exec: {command: ["/bin/sh", "-c", "echo checking; '
                  'echo backend not ready; exit 1"]}, periodSeconds: 1, failureThreshold: 2}',
        backoff=SLOW_BACKOFF)))
    expected = "exit code 1: backend not ready"
    failed, _ = wait_line(pfd, probe_result_line("job", "failed", expected))
    _, reason = transition(pfd, "job", "UNHEALTHY", since=failed)
    assert reason == f"readiness probe failed: {expected}"
    transition(pfd, "job", "BACKOFF", since=failed)
    forward = pfd.forward("job")
    assert forward["readiness"]["message"] == expected
    assert forward["lastError"] == f"readiness probe failed: {expected}"


# HTTPS ---------------------------------------------------------------------------------------

# The kubelet never verifies a probe's certificate, so a probe copied from a pod spec passes
# against a self-signed one (made for "localhost", probed as 127.0.0.1). insecureSkipVerify is
# still accepted, with either value, for configs written when pfd verified.
@pytest.mark.parametrize("skip_verify", ["", ", insecureSkipVerify: true", ", insecureSkipVerify: false"])
def test_https_probe_accepts_a_self_signed_certificate_as_the_kubelet_does(
        make_pfd, ports, self_signed_cert, skip_verify):
    cert, key = self_signed_cert
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "tls", port, "https", "--cert", cert, "--key", key,
        readiness=f"{{httpGet: {{path: /healthz, scheme: HTTPS{skip_verify}}}, periodSeconds: 1}}")))
    passed, _ = wait_line(pfd, probe_result_line("tls", "passed", "HTTP 200"))
    transition(pfd, "tls", "READY", since=passed)
    wait_line(pfd, r"\btls\| probe \d+ /healthz -> 200")


def test_https_probe_of_a_plain_http_server_fails_in_the_handshake(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "tls", port, "http",
        readiness="{httpGet: {path: /healthz, scheme: HTTPS}, periodSeconds: 1, "
                  "failureThreshold: 1}",
        backoff=SLOW_BACKOFF)))
    failed, match = wait_line(pfd, r"\btls: readiness probe failed: (?P<message>.*)$")
    message = match["message"]
    assert message.startswith("TLS: "), message
    _, reason = transition(pfd, "tls", "UNHEALTHY", since=failed)
    assert reason == f"readiness probe failed: {message}"


# status, watch and the log -------------------------------------------------------------------

def test_status_json_and_wide_table_show_each_forwards_last_probe_result(make_pfd, ports):
    before = datetime.datetime.now(datetime.timezone.utc)
    pfd = make_pfd(config(
        target_forward("good", ports[0], "http",
                       readiness="{httpGet: {path: /healthz}, periodSeconds: 1}"),
        target_forward("sick", ports[1], "http", "--status", "503",
                       readiness="{httpGet: {path: /healthz}, periodSeconds: 1, "
                                 "failureThreshold: 100}"),
        command_forward("plain", ports[2])))
    transition(pfd, "good", "READY")
    transition(pfd, "plain", "READY")
    wait_line(pfd, probe_result_line("sick", "failed", "HTTP 503 from /healthz"))

    forwards = {f["name"]: f for f in pfd.status()["forwards"]}
    after = datetime.datetime.now(datetime.timezone.utc)
    good = forwards["good"]["readiness"]
    assert set(good) == {"kind", "success", "message", "latency", "time",
                         "consecutiveSuccesses", "consecutiveFailures"}, good
    assert good["kind"] == "httpGet"
    assert good["success"] is True
    assert good["message"] == "HTTP 200"
    assert re.fullmatch(r"\d+(\.\d+)?s", good["latency"]), good
    probed_at = parse_timestamp(good["time"])
    assert before - datetime.timedelta(seconds=1) <= probed_at <= after, good
    assert good["consecutiveSuccesses"] >= 1
    assert good["consecutiveFailures"] == 0

    sick = forwards["sick"]
    assert sick["state"] == STARTING, "failing, but below its failureThreshold"
    assert sick["readiness"]["success"] is False
    assert sick["readiness"]["message"] == "HTTP 503 from /healthz"
    assert sick["readiness"]["consecutiveFailures"] >= 1
    assert sick["readiness"]["consecutiveSuccesses"] == 0
    assert "readiness" not in forwards["plain"], "a forward without a probe has no readiness"

    wide = pfd.pfctl_ok("status", "-o", "wide")
    assert "PROBE" in wide.splitlines()[0].split(), wide
    probe = table_cells(wide, "PROBE", "CONNECTIONS")
    # The result, its latency and how long ago it ran.
    assert re.fullmatch(r"ok \S+ \d+s ago", probe["good"]), probe
    assert re.fullmatch(r"HTTP 503 from /healthz \S+ \d+s ago", probe["sick"]), probe
    assert probe["plain"] == "<none>", probe


def test_watch_shows_ready_and_unhealthy_transitions(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "flip", port, "http",
        readiness="{httpGet: {path: /healthz}, periodSeconds: 1, failureThreshold: 1}")))
    with watching(pfd, "flip") as rows:
        rows.wait_for(r"^flip\s.*\bREADY\b")
        mark = rows.mark()
        http_get(port, "/status?code=500")
        unhealthy = rows.wait_for(r"^flip\s.*\bUNHEALTHY\b.*$", since=mark)
        assert "readiness probe failed: HTTP 500 from /healthz" in unhealthy[0]
        rows.wait_for(r"^flip\s.*\bBACKOFF\b", since=mark)
        rows.wait_for(r"^flip\s.*\bSTARTING\b", since=mark)
        # The new child answers 200 again.
        rows.wait_for(r"^flip\s.*\bREADY\b", since=mark)


def test_watch_shows_probe_flips_that_do_not_change_the_state(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward(
        "flap", port, "http",
        readiness="{httpGet: {path: /healthz}, periodSeconds: 1, failureThreshold: 100}")))
    with watching(pfd, "flap") as rows:
        rows.wait_for(r"^flap\s.*\bREADY\b")
        mark = rows.mark()
        http_get(port, "/status?code=503")
        failed = rows.wait_for(r"^flap\s.*readiness probe failed: HTTP 503 from /healthz", since=mark)
        assert re.search(r"\bREADY\b", failed.string), "one failure of 100 keeps it READY"
        http_get(port, "/status?code=200")
        rows.wait_for(r"^flap\s.*readiness probe passed", since=mark)


def test_a_failing_probe_is_logged_once_per_transition_not_every_period(make_pfd, ports):
    pfd = make_pfd(config(
        target_forward("sick", ports[0], "http", "--status", "503",
                       readiness="{httpGet: {path: /healthz}, periodSeconds: 1, "
                                 "failureThreshold: 100}"),
        target_forward("flappy", ports[1], "http",
                       readiness="{httpGet: {path: /healthz}, periodSeconds: 1, "
                                 "failureThreshold: 4}")))
    # Four failing periods for "sick" (each answered 503), one line in the log.
    wait_line(pfd, r"\bsick\| probe 4 /healthz -> 503")
    assert count_lines(pfd, probe_result_line("sick", "failed")) == 1
    assert pfd.forward("sick")["readiness"]["consecutiveFailures"] >= 3

    # "flappy" passes for several periods (one line), then fails until UNHEALTHY (one line).
    ready, _ = transition(pfd, "flappy", "READY")
    wait_line(pfd, r"\bflappy\| probe 3 /healthz -> 200")
    assert count_lines(pfd, probe_result_line("flappy", "passed")) == 1
    mark = pfd.mark()
    http_get(ports[1], "/status?code=500")
    unhealthy, _ = transition(pfd, "flappy", "UNHEALTHY", since=mark)
    assert count_lines(pfd, probe_result_line("flappy", "failed"), start=ready, end=unhealthy) == 1
    assert count_lines(pfd, r"\bflappy\| probe \d+ /healthz -> 500", end=unhealthy + 1) >= 1


# no probe and default probes -----------------------------------------------------------------

def test_forward_without_a_probe_is_ready_as_soon_as_its_port_accepts(make_pfd, ports):
    port = ports[0]
    pfd = make_pfd(config(target_forward("lazy", port, "tcp", "--listen-on-signal")))
    started, reason = transition(pfd, "lazy", "STARTING")
    wait_line(pfd, r"\blazy\| waiting for SIGUSR1$", since=started)
    forward = pfd.forward("lazy")
    assert forward["state"] == STARTING, "the port does not accept connections yet"
    assert "readiness" not in forward

    os.kill(started_pid(reason), signal.SIGUSR1)  # now it listens
    wait_line(pfd, rf"\blazy\| lazy listening on {port}$", since=started)
    _, reason = transition(pfd, "lazy", "READY", since=started)
    assert reason == f"forwarding {port}"
    assert count_lines(pfd, r"\blazy: readiness probe") == 0


def test_default_probe_applies_to_every_forward_unless_turned_off(make_pfd, ports):
    header = "defaults:\n  readiness: {tcpSocket: {}, periodSeconds: 1}\n"
    pfd = make_pfd(config(target_forward("probed", ports[0], "tcp"),
                          command_forward("unprobed", ports[1]).replace(
                              "    ports:", "    readiness: null\n    ports:"),
                          header=header))
    passed, _ = wait_line(pfd, probe_result_line("probed", "passed", "connected"))
    transition(pfd, "probed", "READY", since=passed)
    transition(pfd, "unprobed", "READY")
    forwards = {f["name"]: f for f in pfd.status()["forwards"]}
    assert forwards["probed"]["readiness"]["kind"] == "tcpSocket"
    assert "readiness" not in forwards["unprobed"]
    assert count_lines(pfd, r"\bunprobed: readiness probe") == 0
