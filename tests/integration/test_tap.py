"""pfctl tap: the bytes through a forward's held ports, shown as socat -v shows them."""
import os
import re
import socket
import time

import pytest

from pfd_harness import DEFAULT_TIMEOUT
from tap_support import (Tap, Upstream, fake_kubectl, held_forward, parse_chunks, read_exactly,
                         read_until)
from conftest import command_forward

GIB = 1 << 30
MIB = 1 << 20


def http_like(connection: socket.socket) -> None:
    """Answers each request (up to a blank line) with a response naming it."""
    while True:
        request = read_until(connection, b"\r\n\r\n")
        if not request:
            return
        line = request.split(b"\r\n", 1)[0]
        body = b"you asked: " + line
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


@pytest.fixture
def forward(make_pfd, ports):
    """A pfd with one held forward "web" on ports[0], relayed to an upstream on ports[1]; the
    upstream's handler is set by the test (default: http_like)."""
    state = {"handler": http_like}
    upstream = Upstream(ports[1], lambda connection: state["handler"](connection))
    pfd = make_pfd("forwards: []\n", start=False)
    kubectl = fake_kubectl(pfd.dir, ports[1])
    pfd.write_config("forwards:\n" + held_forward("web", ports[0], kubectl))
    pfd.start()
    pfd.wait_for_state("web", "READY")
    taps = []

    class Forward:
        instance = pfd
        port = ports[0]
        upstream_port = ports[1]

        @staticmethod
        def set_handler(handler) -> None:
            state["handler"] = handler

        @staticmethod
        def tap(*args: str, pump: bool = True) -> Tap:
            tap = Tap(pfd, "web", *args, pump=pump)
            taps.append(tap)
            return tap

    yield Forward
    for tap in taps:
        tap.stop()
    upstream.close()


def exchange(port: int, requests) -> bytes:
    """Sends each request and reads its whole response, one at a time; returns all responses."""
    responses = b""
    with socket.create_connection(("127.0.0.1", port)) as client:
        for request in requests:
            client.sendall(request)
            head = read_until(client, b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            body = head.split(b"\r\n\r\n", 1)[1]
            body += read_exactly(client, length - len(body))
            responses += head.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + body
    return responses


def wait_closed_line(tap: Tap, since: int = 0):
    return tap.out.wait_for(r"^\* .*  #\d+ \S+ -> :\d+ closed after ", since=since)


def test_tap_shows_both_directions_in_order_with_lengths(forward):
    tap = forward.tap()
    tap.wait_attached()
    requests = [b"GET /first HTTP/1.1\r\nHost: web\r\n\r\n",
                b"POST /second\\path HTTP/1.1\r\nX-Bin: \x01\x7f\r\n\r\n"]
    mark = forward.instance.mark()
    responses = exchange(forward.port, requests)
    wait_closed_line(tap)

    lines = tap.out.lines()
    chunks = parse_chunks(lines)
    assert [c[0] for c in chunks] == [">", "<", ">", "<"], lines
    sent = b"".join(c[5] for c in chunks if c[0] == ">")
    received = b"".join(c[5] for c in chunks if c[0] == "<")
    assert sent == b"".join(requests)
    assert received == responses
    for direction in "><":
        offset = 0
        for _, length, start, end, _, data in (c for c in chunks if c[0] == direction):
            assert (length, start, end) == (len(data), offset, offset + length - 1)
            offset += length
    assert r"GET /first HTTP/1.1\r" in lines
    assert r"POST /second\\path HTTP/1.1\r" in lines
    assert r"X-Bin: \x01\x7f\r" in lines
    opened = [line for line in lines if line.startswith("* ") and line.endswith(" opened")]
    closed = [line for line in lines if line.startswith("* ") and " closed after " in line]
    assert len(opened) == 1 and len(closed) == 1, lines
    assert f"{sum(map(len, requests))} bytes in, {len(responses)} bytes out" in closed[0]

    # Privacy: the bytes never reach pfd's log (it runs at debug level here).
    for line in forward.instance.log.lines()[mark:]:
        assert "first" not in line and "you asked" not in line, line


def test_tap_hex_dump_round_trips_binary_data(forward):
    def echo(connection: socket.socket) -> None:
        while True:
            data = connection.recv(65536)
            if not data:
                return
            connection.sendall(data)

    forward.set_handler(echo)
    tap = forward.tap("-x")
    tap.wait_attached()
    payload = bytes(range(256)) * 4
    with socket.create_connection(("127.0.0.1", forward.port)) as client:
        client.sendall(payload)
        assert read_exactly(client, len(payload)) == payload
    wait_closed_line(tap)
    chunks = parse_chunks(tap.out.lines(), hex_dump=True)
    assert b"".join(c[5] for c in chunks if c[0] == ">") == payload
    assert b"".join(c[5] for c in chunks if c[0] == "<") == payload
    assert any(line.startswith(" 00 01 02 03") and line.endswith("................")
               for line in tap.out.lines())


def vm_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def test_a_stalled_tap_drops_chunks_and_pfd_memory_stays_bounded(forward):
    received = {"bytes": 0}

    def sink(connection: socket.socket) -> None:
        buffer = bytearray(4 * MIB)
        while True:
            count = connection.recv_into(buffer)
            if count == 0:
                connection.sendall(b"%d" % received["bytes"])
                return
            received["bytes"] += count

    forward.set_handler(sink)
    pid = forward.instance.process.pid
    tap = forward.tap(pump=False)  # nobody reads its stdout: it stalls once the pipe is full
    tap.wait_attached()
    rss_before = vm_kib(pid, "VmRSS")
    block = os.urandom(MIB)
    with socket.create_connection(("127.0.0.1", forward.port)) as client:
        for _ in range(GIB // MIB):
            client.sendall(block)
        client.shutdown(socket.SHUT_WR)
        answer = client.makefile("rb").read()
    assert int(answer) == GIB

    # Peak resident memory over the whole transfer: the relay's and the tap's buffers only
    # (each tap holds at most 2 MiB of events, a connection 2 MiB of queued writes).
    peak = vm_kib(pid, "VmHWM")
    assert peak - rss_before < 64 * 1024, (rss_before, peak)

    tap.start_reading()
    match = tap.out.wait_for(r"^… (\d+) chunks \((.+)\) dropped: tap too slow$",
                             timeout=DEFAULT_TIMEOUT * 2)
    assert int(match.group(1)) > 0
    wait_closed_line(tap)
    assert tap.interrupt() == 0


def test_ctrl_c_detaches_the_tap(forward):
    tap = forward.tap()
    tap.wait_attached()
    mark = forward.instance.mark()
    assert tap.interrupt() == 0
    forward.instance.wait_for_log(r"web: a tap detached \(0 attached\)", since=mark)
    # The relay keeps serving, untapped.
    assert b"you asked: GET /after" in exchange(forward.port, [b"GET /after HTTP/1.1\r\n\r\n"])


def test_two_taps_see_the_same_bytes(forward):
    first = forward.tap()
    second = forward.tap("--max-bytes", "10")
    first.wait_attached()
    second.wait_attached()
    requests = [b"GET /one HTTP/1.1\r\n\r\n", b"GET /two HTTP/1.1\r\n\r\n"]
    exchange(forward.port, requests)
    wait_closed_line(first)
    wait_closed_line(second)
    full = parse_chunks(first.out.lines())
    short = parse_chunks(second.out.lines())
    assert [c[:5] for c in full] == [c[:5] for c in short]
    assert len(full) == 4
    for whole, part in zip(full, short):
        assert part[5] == whole[5][:10]
    assert any(re.match(r"^… \d+ more bytes not shown \(--max-bytes 10\)$", line)
               for line in second.out.lines())


def test_connections_only_and_port_filter(forward):
    tap = forward.tap("--connections", "--port", str(forward.port))
    tap.wait_attached()
    exchange(forward.port, [b"GET /x HTTP/1.1\r\n\r\n"])
    wait_closed_line(tap)
    lines = tap.out.lines()
    assert not any(line.startswith((">", "<")) for line in lines), lines
    assert re.match(r"^\* \S+ \S+  #\d+ 127\.0\.0\.1:\d+ -> :%d opened$" % forward.port, lines[0])
    assert re.search(r"closed after \S+: 19 bytes in, \d+ bytes out \(closed\)$", lines[1])

    other = forward.instance.pfctl("tap", "web", "--port", str(forward.upstream_port))
    assert other.returncode == 1
    assert f"forward web has no local port {forward.upstream_port}; its local ports: " \
           f"{forward.port}" in other.stderr


def test_tap_survives_a_heal(forward):
    tap = forward.tap()
    tap.wait_attached()
    pid = forward.instance.forward("web")["pid"]
    mark = forward.instance.mark()
    os.kill(int(pid), 9)
    forward.instance.wait_for_state("web", "(BACKOFF|STARTING)", since=mark)
    forward.instance.wait_for_serving("web", since=mark)
    exchange(forward.port, [b"GET /healed HTTP/1.1\r\n\r\n"])
    wait_closed_line(tap)
    assert r"GET /healed HTTP/1.1\r" in tap.out.lines()
    assert tap.process.poll() is None


def test_tap_refused_for_forwards_whose_bytes_pfd_does_not_see(make_pfd, ports):
    pfd = make_pfd("forwards:\n" + command_forward("cmd", ports[0]) +
                   f"  - name: direct\n    target: pod/direct\n    ports: [\"{ports[1]}:80\"]\n"
                   "    holdPort: false\n    enabled: false\n")
    result = pfd.pfctl("tap", "cmd")
    assert result.returncode == 1
    assert "forward cmd runs a command, which binds its ports itself" in result.stderr
    result = pfd.pfctl("tap", "direct")
    assert result.returncode == 1
    assert "forward direct has holdPort: false" in result.stderr
    result = pfd.pfctl("tap", "nosuch")
    assert result.returncode == 1
    result = pfd.pfctl("tap", "cmd", "--connections", "-x")
    assert result.returncode == 64
    assert "--connections shows no bytes" in result.stderr


def test_removing_the_forward_ends_its_tap_with_the_reason(forward):
    tap = forward.tap()
    tap.wait_attached()
    forward.instance.write_config("forwards: []\n")
    forward.instance.pfctl_ok("reload")
    assert tap.process.wait(DEFAULT_TIMEOUT) == 1
    tap.err.wait_for(r"^error: the tap ended: forward web was removed")
