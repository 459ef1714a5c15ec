"""Unit tests of fakekube's codecs and rules: SPDY framing, WebSocket framing, selectors,
discovery negotiation and kubectl's pod ranking. No kubectl, no sockets."""

from __future__ import annotations

import datetime
import io
import os
import struct
import zlib

import pytest

from fakekube import FakeCluster, discovery, spdy, websocket
from fakekube.selectors import SelectorError, label_selector_matches


def test_dictionary_has_the_spdy3_layout():
    dictionary = spdy.HEADER_DICTIONARY
    assert len(dictionary) == 1423
    assert dictionary.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert b"\x00\x00\x00\x06200 OK\x00\x00\x00\x07version" in dictionary
    assert dictionary.endswith(b"charset=utf-8charset=iso-8859-1,utf-,*,enq=0.")


def test_header_blocks_share_one_zlib_context_per_direction():
    compressor, decompressor = spdy.HeaderCompressor(), spdy.HeaderDecompressor()
    blocks = [
        {"streamtype": ["error"], "port": ["8080"], "requestid": ["0"]},
        {"streamtype": ["data"], "port": ["8080"], "requestid": ["0"]},
        {"multi": ["a", "b"]},
    ]
    encoded = [compressor.compress(block) for block in blocks]
    # Later blocks reference earlier ones, so they only decode in order through one context.
    assert len(encoded[1]) < len(encoded[0])
    assert [decompressor.decompress(data) for data in encoded] == blocks


def test_decompressor_rejects_a_stream_made_with_another_dictionary():
    other = zlib.compressobj(zdict=b"not the spdy dictionary")
    data = other.compress(spdy.encode_header_block({"a": ["b"]})) + other.flush(zlib.Z_SYNC_FLUSH)
    with pytest.raises(spdy.ProtocolError):
        spdy.HeaderDecompressor().decompress(data)


def _round_trip(frames):
    out = io.BytesIO()
    writer = spdy.FrameWriter(out.write)
    for frame in frames:
        writer.write_frame(frame)
    reader = spdy.FrameReader(io.BytesIO(out.getvalue()).read)
    decoded = []
    while (frame := reader.read_frame()) is not None:
        decoded.append(frame)
    return decoded


def test_every_frame_type_round_trips():
    frames = [
        spdy.SynStreamFrame(1, {"streamtype": ["error"], "port": ["80"]}, priority=2, flags=1),
        spdy.SynReplyFrame(1, {}),
        spdy.DataFrame(1, b"hello", spdy.FLAG_FIN),
        spdy.DataFrame(3, b""),
        spdy.RstStreamFrame(3, spdy.RST_CANCEL),
        spdy.SettingsFrame([(0, 7, 65536)]),
        spdy.PingFrame(7),
        spdy.GoAwayFrame(5, spdy.GOAWAY_OK),
        spdy.HeadersFrame(1, {"x": ["y"]}),
        spdy.WindowUpdateFrame(1, 1024),
    ]
    assert _round_trip(frames) == frames


def test_reader_returns_none_at_eof_between_frames_and_fails_inside_one():
    out = io.BytesIO()
    spdy.FrameWriter(out.write).write_frame(spdy.DataFrame(1, b"abcdef"))
    whole = out.getvalue()
    assert spdy.FrameReader(io.BytesIO(b"").read).read_frame() is None
    with pytest.raises(spdy.ProtocolError):
        spdy.FrameReader(io.BytesIO(whole[:-2]).read).read_frame()


def test_unknown_control_frames_are_skipped_not_fatal():
    unknown = struct.pack(">HHI", 0x8003, 0x0005, 4) + b"\x00\x00\x00\x00"
    ping = struct.pack(">HHI", 0x8003, spdy.PING, 4) + struct.pack(">I", 9)
    reader = spdy.FrameReader(io.BytesIO(unknown + ping).read)
    assert isinstance(reader.read_frame(), spdy.UnknownControlFrame)
    assert reader.read_frame() == spdy.PingFrame(9)


def _client_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    mask = os.urandom(4)
    header = bytes([(0x80 if fin else 0) | opcode])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


def test_websocket_accept_key_matches_rfc6455_example():
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_websocket_stream_unmasks_messages_and_answers_ping_and_close():
    big = os.urandom(70000)
    incoming = (
        _client_frame(websocket.OP_BINARY, b"spdy-", fin=False)
        + _client_frame(websocket.OP_CONTINUATION, b"bytes")
        + _client_frame(websocket.OP_PING, b"are you there")
        + _client_frame(websocket.OP_BINARY, big)
        + _client_frame(websocket.OP_CLOSE, struct.pack(">H", 1000))
    )
    written = io.BytesIO()
    stream = websocket.WebSocketByteStream(io.BytesIO(incoming).read, written.write)
    received = b""
    while chunk := stream.read(4096):
        received += chunk
    assert received == b"spdy-bytes" + big
    replies = written.getvalue()
    assert replies.startswith(bytes([0x80 | websocket.OP_PONG, 13]) + b"are you there")
    assert replies.endswith(bytes([0x80 | websocket.OP_CLOSE, 2]) + struct.pack(">H", 1000))


def test_websocket_writes_unmasked_binary_messages_with_extended_lengths():
    written = io.BytesIO()
    stream = websocket.WebSocketByteStream(io.BytesIO(b"").read, written.write)
    stream.write(b"x" * 300)
    data = written.getvalue()
    assert data[0] == 0x80 | websocket.OP_BINARY
    assert data[1] == 126 and struct.unpack(">H", data[2:4])[0] == 300
    assert data[4:] == b"x" * 300


@pytest.mark.parametrize(
    "selector, labels, expected",
    [
        ("app=web", {"app": "web", "x": "y"}, True),
        ("app==web,tier=front", {"app": "web"}, False),
        ("app!=web", {"app": "api"}, True),
        ("app in (web, api)", {"app": "api"}, True),
        ("app notin (web)", {"app": "web"}, False),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("", {}, True),
    ],
)
def test_label_selectors_follow_kubernetes_syntax(selector, labels, expected):
    assert label_selector_matches(selector, labels) is expected


def test_malformed_label_selector_is_an_error():
    with pytest.raises(SelectorError):
        label_selector_matches("app=(", {})


@pytest.mark.parametrize(
    "accept, expected",
    [
        # kubectl 1.27 - 1.29
        (
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
            "application/json",
            "v2beta1",
        ),
        # kubectl 1.30+
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
            "application/json",
            "v2",
        ),
        ("application/json, */*", None),
        ("", None),
    ],
)
def test_aggregated_discovery_is_negotiated_from_accept(accept, expected):
    assert discovery.negotiate_aggregated(accept) == expected


def test_kubectl_choice_follows_active_pods_ranking():
    with FakeCluster() as cluster:
        pods = cluster.add_deployment("web", replicas=3)
        state = cluster.state
        old = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
        with state.lock:
            for pod in state.list_pods("default"):
                pod.created = pod.ready_changed = pod.started = old
        # All equal: the first in list (name) order wins, as Go's stable small-slice sort does.
        assert cluster.kubectl_choice("deploy/web") == sorted(pods)[0]
        with state.lock:
            state.get_pod("default", sorted(pods)[1]).ready_changed = old - datetime.timedelta(
                hours=1
            )
        assert cluster.kubectl_choice("deploy/web") == sorted(pods)[1]  # ready for longer
        cluster.set_ready(sorted(pods)[1], False)
        with state.lock:
            state.get_pod("default", sorted(pods)[0]).restart_count = 3
        assert cluster.kubectl_choice("deploy/web") == sorted(pods)[2]  # ready, fewer restarts
