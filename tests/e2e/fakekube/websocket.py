"""The server side of RFC 6455 as far as kubectl's SPDY-over-WebSocket tunnel needs it.

kubectl >= 1.31 wraps its SPDY connection in binary WebSocket messages (subprotocol
"SPDY/3.1+portforward.k8s.io"). This module turns such a connection back into a byte stream.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import threading
from typing import Callable

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002


def accept_key(client_key: str) -> str:
    digest = hashlib.sha1((client_key.strip() + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


class WebSocketError(Exception):
    """The client broke the WebSocket framing rules."""


class WebSocketByteStream:
    """Reads the payload of binary messages as one byte stream; writes each chunk as one binary
    message (as the client's TunnelingConnection does). Control frames are answered in place."""

    def __init__(self, read: Callable[[int], bytes], write: Callable[[bytes], None]) -> None:
        self._read_raw = read
        self._write_raw = write
        self._write_lock = threading.Lock()
        self._pending = b""
        self._closed = False

    def _read_exact(self, count: int) -> bytes:
        chunks = []
        remaining = count
        while remaining:
            chunk = self._read_raw(remaining)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _read_frame(self) -> tuple[int, bool, bytes]:
        first, second = self._read_exact(2)
        fin = bool(first & 0x80)
        opcode = first & 0x0F
        masked = bool(second & 0x80)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", self._read_exact(8))
        if not masked:
            raise WebSocketError("client frames must be masked (RFC 6455 5.1)")
        mask = self._read_exact(4)
        payload = self._read_exact(length)
        # XOR as one big integer: a byte loop in Python would cap throughput at a few MB/s.
        key = (mask * (length // 4 + 1))[:length]
        unmasked = int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")
        return opcode, fin, unmasked.to_bytes(length, "big")

    def read(self, count: int) -> bytes:
        """Up to count bytes of tunnelled data; b"" once the client closed the WebSocket."""
        while not self._pending:
            if self._closed:
                return b""
            try:
                opcode, _, payload = self._read_frame()
            except EOFError:
                self._closed = True
                return b""
            if opcode in (OP_BINARY, OP_CONTINUATION):
                self._pending = payload
            elif opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self._closed = True
                self._send_close(CLOSE_NORMAL)
                return b""
            elif opcode == OP_TEXT:
                raise WebSocketError("the SPDY tunnel only carries binary messages")
        chunk, self._pending = self._pending[:count], self._pending[count:]
        return chunk

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytearray([0x80 | opcode])
        if len(payload) < 126:
            header.append(len(payload))
        elif len(payload) < 1 << 16:
            header.append(126)
            header += struct.pack(">H", len(payload))
        else:
            header.append(127)
            header += struct.pack(">Q", len(payload))
        with self._write_lock:
            self._write_raw(bytes(header) + payload)

    def _send_close(self, code: int) -> None:
        try:
            self._send_frame(OP_CLOSE, struct.pack(">H", code))
        except OSError:
            pass

    def write(self, data: bytes) -> None:
        self._send_frame(OP_BINARY, data)

    def close(self) -> None:
        self._send_close(CLOSE_NORMAL)
