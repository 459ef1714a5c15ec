"""Helpers for the pfctl tap tests: a fake kubectl that "forwards" to a test-owned upstream, the
upstream itself, a running `pfctl tap`, and a parser for its socat -v / -x output."""
import os
import re
import signal
import socket
import subprocess
import threading
from typing import Callable, List, Optional, Tuple

from pfd_harness import DEFAULT_TIMEOUT, LineLog

HEADER = re.compile(r"^([<>]) (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6})  length=(\d+) from=(\d+) "
                    r"to=(\d+)  #(\d+) (\S+)$")


TRUNCATED = re.compile(r"^… (\d+) more bytes not shown \(--max-bytes \d+\)$")


def fake_kubectl(directory: str, upstream_port: int) -> str:
    """A "kubectl" that says it forwards to the upstream and then waits, as kubectl does: pfd
    relays every connection of the held port to `upstream_port`."""
    path = os.path.join(directory, "kubectl")
    with open(path, "w") as script:
        script.write("#!/bin/sh\n"
                     f"echo 'Forwarding from 127.0.0.1:{upstream_port} -> 80'\n"
                     "exec sleep 1000000\n")
    os.chmod(path, 0o755)
    return path


def held_forward(name: str, local_port: int, kubectl: str) -> str:
    return (f"  - name: {name}\n    target: pod/{name}\n    ports: [\"{local_port}:80\"]\n"
            f"    kubectl: {kubectl}\n")


class Upstream:
    """A TCP server on 127.0.0.1:port that runs `handler(connection)` on a thread per
    connection; stopped (and its threads joined) by close()."""

    def __init__(self, port: int, handler: Callable[[socket.socket], None]):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.handler = handler
        self.threads: List[threading.Thread] = []
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.handler(connection)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.accepter.join(5)
        for thread in self.threads:
            thread.join(5)


def read_until(connection: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return data


class Tap:
    """A running `pfctl tap`; its stdout is collected line by line (unless `pump` is False, for
    a tap whose reader stalls), its stderr too."""

    def __init__(self, instance, *args: str, pump: bool = True):
        self.process = subprocess.Popen(
            [instance.pfctl_bin, "--socket", instance.socket, "tap", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=instance.env)
        self.err = LineLog(self.process.stderr)
        self.out: Optional[LineLog] = LineLog(self.process.stdout) if pump else None

    def wait_attached(self) -> None:
        self.err.wait_for(r"^tapping forward ")

    def start_reading(self) -> None:
        self.out = LineLog(self.process.stdout)

    def interrupt(self) -> int:
        """Ctrl-C; the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(DEFAULT_TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.out is None:
            self.start_reading()
        self.out.wait_closed(5)
        self.err.wait_closed(5)


def unescape(text: str) -> bytes:
    """A socat -v body line back to its bytes (\\r, \\\\, \\xHH)."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "r":
                out += b"\r"
                i += 2
                continue
            if n == "\\":
                out += b"\\"
                i += 2
                continue
            if n == "x":
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
                continue
        out += c.encode()
        i += 1
    return bytes(out)


Chunk = Tuple[str, int, int, int, int, bytes]  # direction, length, from, to, connection, data


def parse_chunks(lines: List[str], hex_dump: bool = False) -> List[Chunk]:
    """The chunks of a tap's output: header fields and the bytes shown."""
    chunks = []
    i = 0
    while i < len(lines):
        match = HEADER.match(lines[i])
        i += 1
        if not match:
            continue
        direction, _, length, start, end, connection, _ = match.groups()
        length = int(length)
        data = b""
        if hex_dump:
            while i < len(lines) and lines[i] != "--":
                if not lines[i].startswith("…"):
                    data += bytes.fromhex(lines[i][:48])
                i += 1
        else:
            shown = length
            while len(data) < shown and i < len(lines):
                cut = TRUNCATED.match(lines[i])
                if cut:  # --max-bytes: fewer bytes than the length were shown
                    shown = length - int(cut.group(1))
                    i += 1
                    break
                if HEADER.match(lines[i]):
                    break
                data += unescape(lines[i]) + b"\n"
                i += 1
            if i < len(lines) and TRUNCATED.match(lines[i]):
                shown = length - int(TRUNCATED.match(lines[i]).group(1))
                i += 1
            data = data[:shown]  # without the newline the printer added after a chunk
        chunks.append((direction, length, int(start), int(end), int(connection), data))
    return chunks
