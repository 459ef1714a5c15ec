"""A minimal port-forward client speaking SPDY/3.1 like kubectl, for protocol-level tests and
benchmarks that want to drive the fake server without a kubectl process."""

from __future__ import annotations

import queue
import socket
import threading
from typing import Optional

from . import spdy


class UpgradeRefused(Exception):
    def __init__(self, status_line: str, body: bytes) -> None:
        super().__init__(f"{status_line}: {body.decode(errors='replace')}")
        self.status_line = status_line
        self.body = body


class SpdyPortForwardClient:
    """Upgrades POST .../portforward to SPDY/3.1; every frame the server sends lands on
    `frames` (a queue), so tests wait on them with a timeout."""

    def __init__(self, host: str, port: int, namespace: str, pod: str, timeout: float = 10) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        request = (
            f"POST /api/v1/namespaces/{namespace}/pods/{pod}/portforward HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            "Connection: Upgrade\r\n"
            "Upgrade: SPDY/3.1\r\n"
            "X-Stream-Protocol-Version: portforward.k8s.io\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self._buffer = b""
        head = self._read_head()
        status_line = head.split("\r\n", 1)[0]
        if " 101 " not in status_line + " ":
            raise UpgradeRefused(status_line, self._read_body(head))
        self.response_head = head
        self.sock.settimeout(None)
        self.frames: "queue.Queue[Optional[spdy.Frame]]" = queue.Queue()
        self._reader = spdy.FrameReader(self._read)
        self._writer = spdy.FrameWriter(self.sock.sendall)
        self._next_stream_id = 1
        self._request_id = 0
        threading.Thread(target=self._read_loop, name="spdy-test-client", daemon=True).start()

    def _read_head(self) -> str:
        while b"\r\n\r\n" not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("server closed the connection during the upgrade")
            self._buffer += chunk
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def _read_body(self, head: str) -> bytes:
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(self._buffer) < length:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self._buffer += chunk
        return self._buffer[:length]

    def _read(self, count: int) -> bytes:
        if self._buffer:
            chunk, self._buffer = self._buffer[:count], self._buffer[count:]
            return chunk
        try:
            return self.sock.recv(count)
        except OSError:
            return b""

    def _read_loop(self) -> None:
        try:
            while True:
                frame = self._reader.read_frame()
                if frame is None:
                    break
                self.frames.put(frame)
        except (spdy.ProtocolError, OSError):
            pass
        self.frames.put(None)

    def send(self, frame: spdy.Frame) -> None:
        self._writer.write_frame(frame)

    def open_stream(self, kind: str, port: int, request_id: int) -> int:
        stream_id = self._next_stream_id
        self._next_stream_id += 2
        headers = {"streamtype": [kind], "port": [str(port)], "requestid": [str(request_id)]}
        self.send(spdy.SynStreamFrame(stream_id, headers))
        return stream_id

    def open_pair(self, port: int) -> tuple[int, int]:
        """kubectl's order: error stream (half-closed at once), then data stream."""
        request_id = self._request_id
        self._request_id += 1
        error_id = self.open_stream("error", port, request_id)
        self.send(spdy.DataFrame(error_id, b"", spdy.FLAG_FIN))
        data_id = self.open_stream("data", port, request_id)
        return error_id, data_id

    def next_frame(self, timeout: float = 10) -> Optional[spdy.Frame]:
        """The next frame, None when the server closed the connection."""
        return self.frames.get(timeout=timeout)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
