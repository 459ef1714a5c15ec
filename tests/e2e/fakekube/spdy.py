"""SPDY/3.1 framing as kubectl's spdystream speaks it: frames, header blocks, zlib contexts.

Only what a port-forward server needs is interpreted; every other control frame is parsed far
enough to be skipped, so an unexpected SETTINGS or WINDOW_UPDATE never desynchronises the stream.
"""

from __future__ import annotations

import dataclasses
import struct
import threading
import zlib
from typing import Callable, Optional, Union

VERSION = 3

SYN_STREAM = 1
SYN_REPLY = 2
RST_STREAM = 3
SETTINGS = 4
PING = 6
GOAWAY = 7
HEADERS = 8
WINDOW_UPDATE = 9

FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02

RST_PROTOCOL_ERROR = 1
RST_INVALID_STREAM = 2
RST_REFUSED_STREAM = 3
RST_CANCEL = 5
RST_INTERNAL_ERROR = 6

GOAWAY_OK = 0
GOAWAY_PROTOCOL_ERROR = 1

MAX_DATA_LENGTH = (1 << 24) - 1

# The SPDY/3 header dictionary (draft 3, section 2.6.10.1): length-prefixed header names and
# values followed by a run of common strings. zlib checks its Adler-32 against the DICTID that
# spdystream writes, so a single wrong byte shows up as a decompression error, not silent garbage.
_DICTIONARY_ENTRIES = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language "
    "accept-ranges age allow authorization cache-control connection content-base "
    "content-encoding content-language content-length content-location content-md5 "
    "content-range content-type date etag expect expires from host if-match "
    "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
    "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
    "server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate "
    "method get status 200_OK version HTTP/1.1 url public set-cookie keep-alive origin"
).split(" ")
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _build_dictionary() -> bytes:
    out = bytearray()
    for entry in _DICTIONARY_ENTRIES:
        # "200 OK" is the only entry with a space, so the list above spells it "200_OK".
        encoded = entry.replace("_", " ").encode("ascii")
        out += struct.pack(">I", len(encoded)) + encoded
    out += _DICTIONARY_TAIL.encode("ascii")
    return bytes(out)


HEADER_DICTIONARY = _build_dictionary()

Headers = dict[str, list[str]]


class ProtocolError(Exception):
    """The peer sent bytes that are not valid SPDY/3."""


@dataclasses.dataclass
class DataFrame:
    stream_id: int
    data: bytes
    flags: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


@dataclasses.dataclass
class SynStreamFrame:
    stream_id: int
    headers: Headers
    associated_id: int = 0
    priority: int = 0
    flags: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


@dataclasses.dataclass
class SynReplyFrame:
    stream_id: int
    headers: Headers
    flags: int = 0


@dataclasses.dataclass
class RstStreamFrame:
    stream_id: int
    status: int


@dataclasses.dataclass
class SettingsFrame:
    entries: list[tuple[int, int, int]]
    flags: int = 0


@dataclasses.dataclass
class PingFrame:
    ping_id: int


@dataclasses.dataclass
class GoAwayFrame:
    last_good_stream_id: int
    status: int = GOAWAY_OK


@dataclasses.dataclass
class HeadersFrame:
    stream_id: int
    headers: Headers
    flags: int = 0


@dataclasses.dataclass
class WindowUpdateFrame:
    stream_id: int
    delta: int


@dataclasses.dataclass
class UnknownControlFrame:
    frame_type: int
    flags: int
    payload: bytes


Frame = Union[
    DataFrame,
    SynStreamFrame,
    SynReplyFrame,
    RstStreamFrame,
    SettingsFrame,
    PingFrame,
    GoAwayFrame,
    HeadersFrame,
    WindowUpdateFrame,
    UnknownControlFrame,
]


def encode_header_block(headers: Headers) -> bytes:
    """The uncompressed name/value block; names are lowercased as SPDY/3 requires."""
    out = bytearray(struct.pack(">I", len(headers)))
    for name, values in headers.items():
        name_bytes = name.lower().encode("utf-8")
        value_bytes = b"\x00".join(v.encode("utf-8") for v in values)
        out += struct.pack(">I", len(name_bytes)) + name_bytes
        out += struct.pack(">I", len(value_bytes)) + value_bytes
    return bytes(out)


def decode_header_block(block: bytes) -> Headers:
    try:
        (count,) = struct.unpack_from(">I", block, 0)
        offset = 4
        headers: Headers = {}
        for _ in range(count):
            (name_len,) = struct.unpack_from(">I", block, offset)
            offset += 4
            name = block[offset : offset + name_len].decode("utf-8")
            offset += name_len
            (value_len,) = struct.unpack_from(">I", block, offset)
            offset += 4
            value = block[offset : offset + value_len].decode("utf-8")
            offset += value_len
            headers.setdefault(name, []).extend(value.split("\x00"))
    except (struct.error, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed SPDY header block: {exc}") from exc
    if offset != len(block):
        raise ProtocolError("SPDY header block has trailing bytes")
    return headers


class HeaderCompressor:
    """One zlib stream per connection and direction, flushed (not finished) after each block."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(
            zlib.Z_BEST_COMPRESSION,
            zlib.DEFLATED,
            15,
            9,
            zlib.Z_DEFAULT_STRATEGY,
            HEADER_DICTIONARY,
        )

    def compress(self, headers: Headers) -> bytes:
        block = encode_header_block(headers)
        return self._zlib.compress(block) + self._zlib.flush(zlib.Z_SYNC_FLUSH)


class HeaderDecompressor:
    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(zdict=HEADER_DICTIONARY)

    def decompress(self, data: bytes) -> Headers:
        try:
            block = self._zlib.decompress(data)
        except zlib.error as exc:
            raise ProtocolError(f"cannot inflate SPDY header block: {exc}") from exc
        return decode_header_block(block)


ReadFn = Callable[[int], bytes]


class FrameReader:
    """Reads frames from a byte source; read(n) may return fewer bytes, b"" means EOF."""

    def __init__(self, read: ReadFn) -> None:
        self._read = read
        self._decompressor = HeaderDecompressor()

    def _read_exact(self, count: int) -> Optional[bytes]:
        chunks = []
        remaining = count
        while remaining:
            chunk = self._read(remaining)
            if not chunk:
                if remaining == count:
                    return None
                raise ProtocolError(f"connection closed inside a frame ({remaining} bytes short)")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def read_frame(self) -> Optional[Frame]:
        """The next frame, or None at a clean EOF between frames."""
        head = self._read_exact(8)
        if head is None:
            return None
        first, second = struct.unpack(">II", head)
        flags = second >> 24
        length = second & 0xFFFFFF
        payload = self._read_exact(length) if length else b""
        if payload is None:
            raise ProtocolError("connection closed before the frame payload")
        if not first & 0x80000000:
            return DataFrame(stream_id=first & 0x7FFFFFFF, data=payload, flags=flags)
        version = (first >> 16) & 0x7FFF
        if version != VERSION:
            raise ProtocolError(f"unsupported SPDY version {version}")
        return self._control_frame(first & 0xFFFF, flags, payload)

    def _control_frame(self, frame_type: int, flags: int, payload: bytes) -> Frame:
        try:
            if frame_type == SYN_STREAM:
                stream_id, associated_id, priority_byte = struct.unpack_from(">IIB", payload, 0)
                headers = self._decompressor.decompress(payload[10:])
                return SynStreamFrame(
                    stream_id=stream_id & 0x7FFFFFFF,
                    associated_id=associated_id & 0x7FFFFFFF,
                    priority=priority_byte >> 5,
                    flags=flags,
                    headers=headers,
                )
            if frame_type in (SYN_REPLY, HEADERS):
                (stream_id,) = struct.unpack_from(">I", payload, 0)
                headers = self._decompressor.decompress(payload[4:])
                cls = SynReplyFrame if frame_type == SYN_REPLY else HeadersFrame
                return cls(stream_id=stream_id & 0x7FFFFFFF, headers=headers, flags=flags)
            if frame_type == RST_STREAM:
                stream_id, status = struct.unpack_from(">II", payload, 0)
                return RstStreamFrame(stream_id=stream_id & 0x7FFFFFFF, status=status)
            if frame_type == SETTINGS:
                (count,) = struct.unpack_from(">I", payload, 0)
                entries = []
                for index in range(count):
                    id_word, value = struct.unpack_from(">II", payload, 4 + 8 * index)
                    entries.append((id_word >> 24, id_word & 0xFFFFFF, value))
                return SettingsFrame(entries=entries, flags=flags)
            if frame_type == PING:
                (ping_id,) = struct.unpack_from(">I", payload, 0)
                return PingFrame(ping_id=ping_id)
            if frame_type == GOAWAY:
                last_good, status = struct.unpack_from(">II", payload, 0)
                return GoAwayFrame(last_good_stream_id=last_good & 0x7FFFFFFF, status=status)
            if frame_type == WINDOW_UPDATE:
                stream_id, delta = struct.unpack_from(">II", payload, 0)
                return WindowUpdateFrame(stream_id=stream_id & 0x7FFFFFFF, delta=delta & 0x7FFFFFFF)
        except struct.error as exc:
            raise ProtocolError(f"short SPDY control frame of type {frame_type}: {exc}") from exc
        return UnknownControlFrame(frame_type=frame_type, flags=flags, payload=payload)


def _control(frame_type: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, frame_type, (flags << 24) | len(payload)) + payload


class FrameWriter:
    """Serialises frames onto a byte sink; thread-safe, because the zlib context is stateful and
    the order in which header blocks are compressed must be the order in which they are sent."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write
        self._compressor = HeaderCompressor()
        self._lock = threading.Lock()

    def encode(self, frame: Frame) -> bytes:
        """Serialises one frame. Header frames advance the zlib context: callers that do not
        send the result must not use this writer again (write_frame does both under a lock)."""
        if isinstance(frame, DataFrame):
            if len(frame.data) > MAX_DATA_LENGTH:
                raise ValueError("SPDY data frame too long")
            return (
                struct.pack(
                    ">II", frame.stream_id & 0x7FFFFFFF, (frame.flags << 24) | len(frame.data)
                )
                + frame.data
            )
        if isinstance(frame, SynStreamFrame):
            payload = struct.pack(
                ">IIBB", frame.stream_id, frame.associated_id, frame.priority << 5, 0
            )
            return _control(
                SYN_STREAM, frame.flags, payload + self._compressor.compress(frame.headers)
            )
        if isinstance(frame, SynReplyFrame):
            payload = struct.pack(">I", frame.stream_id) + self._compressor.compress(frame.headers)
            return _control(SYN_REPLY, frame.flags, payload)
        if isinstance(frame, HeadersFrame):
            payload = struct.pack(">I", frame.stream_id) + self._compressor.compress(frame.headers)
            return _control(HEADERS, frame.flags, payload)
        if isinstance(frame, RstStreamFrame):
            return _control(RST_STREAM, 0, struct.pack(">II", frame.stream_id, frame.status))
        if isinstance(frame, SettingsFrame):
            payload = struct.pack(">I", len(frame.entries))
            for flag, setting_id, value in frame.entries:
                payload += struct.pack(">II", (flag << 24) | setting_id, value)
            return _control(SETTINGS, frame.flags, payload)
        if isinstance(frame, PingFrame):
            return _control(PING, 0, struct.pack(">I", frame.ping_id))
        if isinstance(frame, GoAwayFrame):
            return _control(GOAWAY, 0, struct.pack(">II", frame.last_good_stream_id, frame.status))
        if isinstance(frame, WindowUpdateFrame):
            return _control(WINDOW_UPDATE, 0, struct.pack(">II", frame.stream_id, frame.delta))
        raise TypeError(f"cannot encode {type(frame).__name__}")

    def write_frame(self, frame: Frame) -> None:
        with self._lock:
            self._write(self.encode(frame))
