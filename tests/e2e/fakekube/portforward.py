"""One kubectl port-forward connection, served the way kubelet's SPDY stream server does it.

Per forwarded TCP connection kubectl opens two streams with the same `requestid`: an `error`
stream (which it half-closes at once and reads to EOF) and a `data` stream. Once both exist the
fake "kubelet" connects to the pod's backend and pipes bytes both ways; on failure it writes a
kubelet-style message to the error stream and closes both streams. Any message on the error
stream makes kubectl >= 1.23 close the whole session ("lost connection to pod").
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
from typing import Callable, Optional, Protocol

from . import spdy

log = logging.getLogger("fakekube.portforward")

# After one direction of a forwarded connection ends, kubelet (containerd's portForward) waits
# this long for the other before tearing the pair down.
HALF_CLOSE_GRACE_SECONDS = 1.0
_CHUNK = 32 * 1024


class PodDialer(Protocol):
    """What a session needs from the cluster: how to reach a container port of its pod."""

    def dial(self, port: int) -> socket.socket:
        """A connected socket, or raises ForwardError with kubelet's message."""

    def streams_hang(self) -> bool:
        """True while stream creation must be left unanswered."""


class ForwardError(Exception):
    """A port could not be reached; str() is the text kubelet writes to the error stream."""


@dataclasses.dataclass
class _Stream:
    stream_id: int
    kind: str
    port: int
    request_id: str
    remote_closed: bool = False
    local_closed: bool = False
    reset: bool = False


class _Pair:
    """The error and data stream of one forwarded connection."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.error: Optional[_Stream] = None
        self.data: Optional[_Stream] = None
        self.backend: Optional[socket.socket] = None
        self.started = False
        self.finished = False
        self.client_done = threading.Event()
        self.lock = threading.Lock()


class PortForwardSession:
    """Serves SPDY frames read from `read` and written to `write` until EOF or close()."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        write: Callable[[bytes], None],
        dialer: PodDialer,
        on_close: Callable[[], None],
        description: str,
    ) -> None:
        self._reader = spdy.FrameReader(read)
        self._writer = spdy.FrameWriter(write)
        self._dialer = dialer
        self._on_close = on_close
        self.description = description
        self._streams: dict[int, _Stream] = {}
        self._pairs: dict[str, _Pair] = {}
        self._unanswered: set[int] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        # close() may be called before serve() (the session is registered before the 101 is
        # sent); nothing may be written until the 101 has gone out, so that close is deferred.
        self._serving = False
        self._close_requested = False
        self.connections_served = 0

    # --- public -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def serve(self) -> None:
        """Runs the read loop on the calling thread until the client goes away."""
        with self._lock:
            self._serving = True
            close_now = self._close_requested
        if close_now:
            self.close()
            return
        try:
            while not self._closed.is_set():
                frame = self._reader.read_frame()
                if frame is None:
                    break
                self._dispatch(frame)
        except (OSError, spdy.ProtocolError, ValueError) as exc:
            if not self._closed.is_set():
                log.debug("session %s ended: %s", self.description, exc)
        finally:
            self._teardown()

    def close(self) -> None:
        """Ends the session as a dying kubelet or apiserver would: GOAWAY, then the socket."""
        if self._closed.is_set():
            return
        with self._lock:
            if not self._serving:
                self._close_requested = True
                return
        try:
            self._writer.write_frame(spdy.GoAwayFrame(last_good_stream_id=self._last_stream_id()))
        except OSError:
            pass
        self._teardown()

    # --- frame handling -----------------------------------------------------------------------

    def _last_stream_id(self) -> int:
        with self._lock:
            return max(self._streams, default=0)

    def _dispatch(self, frame: spdy.Frame) -> None:
        if isinstance(frame, spdy.SynStreamFrame):
            self._on_syn_stream(frame)
        elif isinstance(frame, spdy.DataFrame):
            self._on_data(frame)
        elif isinstance(frame, spdy.RstStreamFrame):
            self._on_reset(frame)
        elif isinstance(frame, spdy.PingFrame):
            # spdystream echoes pings whose parity differs from its own; so do we (client ids odd).
            if frame.ping_id % 2 == 1:
                self._send(frame)
        elif isinstance(frame, spdy.GoAwayFrame):
            log.debug("session %s: client sent GOAWAY", self.description)
        # SETTINGS, WINDOW_UPDATE, HEADERS and unknown frames: spdystream has no flow control
        # and kubectl sends no trailers, so nothing to do.

    def _send(self, frame: spdy.Frame) -> bool:
        try:
            self._writer.write_frame(frame)
            return True
        except OSError:
            return False

    def _on_syn_stream(self, frame: spdy.SynStreamFrame) -> None:
        if self._dialer.streams_hang():
            # Leave the stream unanswered: kubectl's CreateStream waits 30 s, then gives up on
            # this connection only; the session itself stays open.
            with self._lock:
                self._unanswered.add(frame.stream_id)
            return
        headers = {name: values[0] if values else "" for name, values in frame.headers.items()}
        kind = headers.get("streamtype", "")
        port_text = headers.get("port", "")
        request_id = headers.get("requestid", "")
        if kind not in ("error", "data") or not port_text.isdigit():
            # kubelet rejects such a stream; spdystream resets it.
            self._send(spdy.RstStreamFrame(frame.stream_id, spdy.RST_PROTOCOL_ERROR))
            return
        stream = _Stream(frame.stream_id, kind, int(port_text), request_id, remote_closed=frame.fin)
        with self._lock:
            self._streams[frame.stream_id] = stream
            pair = self._pairs.setdefault(request_id, _Pair(request_id))
            setattr(pair, kind, stream)
            ready = pair.error is not None and pair.data is not None and not pair.started
            if ready:
                pair.started = True
        self._send(spdy.SynReplyFrame(frame.stream_id, {}))
        if ready:
            self._start(pair)

    def _on_data(self, frame: spdy.DataFrame) -> None:
        with self._lock:
            stream = self._streams.get(frame.stream_id)
            pair = self._pairs.get(stream.request_id) if stream else None
        if stream is None or pair is None:
            return
        if stream.kind == "data" and frame.data and pair.backend is not None:
            try:
                pair.backend.sendall(frame.data)
            except OSError:
                pass
        if frame.fin:
            stream.remote_closed = True
            if stream.kind == "data":
                self._client_finished_sending(pair)

    def _on_reset(self, frame: spdy.RstStreamFrame) -> None:
        with self._lock:
            stream = self._streams.get(frame.stream_id)
            pair = self._pairs.get(stream.request_id) if stream else None
        if stream is None or pair is None:
            return
        stream.reset = True
        stream.remote_closed = True
        stream.local_closed = True
        if stream.kind == "data":
            # kubectl 1.32+ resets the data stream once the remote side is done; kubelet's copy
            # then ends at once, so the pair can be torn down without waiting for the grace.
            pair.client_done.set()
            self._close_backend(pair)

    # --- forwarding ---------------------------------------------------------------------------

    def _start(self, pair: _Pair) -> None:
        assert pair.data is not None
        self.connections_served += 1
        try:
            pair.backend = self._dialer.dial(pair.data.port)
        except ForwardError as exc:
            self._finish(pair, str(exc))
            return
        threading.Thread(
            target=self._pump_backend_to_client,
            args=(pair,),
            name=f"pf-pump-{pair.request_id}",
            daemon=True,
        ).start()

    def _pump_backend_to_client(self, pair: _Pair) -> None:
        assert pair.data is not None and pair.backend is not None
        backend = pair.backend
        while True:
            try:
                chunk = backend.recv(_CHUNK)
            except OSError:
                chunk = b""
            if not chunk or pair.data.reset or pair.finished:
                break
            if not self._send(spdy.DataFrame(pair.data.stream_id, chunk)):
                break
        self._send_fin(pair.data)
        if not pair.finished:
            # containerd gives the client's direction a moment to drain before closing both.
            pair.client_done.wait(HALF_CLOSE_GRACE_SECONDS)
        self._finish(pair, None)

    def _client_finished_sending(self, pair: _Pair) -> None:
        pair.client_done.set()
        backend = pair.backend
        if backend is not None:
            try:
                backend.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            # If the backend never closes its side, tear the pair down after the same grace
            # containerd allows; the pump thread then sees the socket closed.
            timer = threading.Timer(HALF_CLOSE_GRACE_SECONDS, self._close_backend, args=(pair,))
            timer.daemon = True
            timer.start()

    def _close_backend(self, pair: _Pair) -> None:
        backend = pair.backend
        if backend is None:
            return
        try:
            backend.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_fin(self, stream: Optional[_Stream]) -> None:
        if stream is None or stream.local_closed:
            return
        stream.local_closed = True
        self._send(spdy.DataFrame(stream.stream_id, b"", spdy.FLAG_FIN))

    def _finish(self, pair: _Pair, error_message: Optional[str]) -> None:
        """kubelet's deferred cleanup: error text (if any), then FIN on error and data stream."""
        with pair.lock:
            if pair.finished:
                return
            pair.finished = True
        if error_message and pair.error is not None and not pair.error.local_closed:
            self._send(spdy.DataFrame(pair.error.stream_id, error_message.encode()))
        self._send_fin(pair.error)
        self._send_fin(pair.data)
        if pair.backend is not None:
            try:
                pair.backend.close()
            except OSError:
                pass
        with self._lock:
            for stream in (pair.error, pair.data):
                if stream is not None:
                    self._streams.pop(stream.stream_id, None)
            self._pairs.pop(pair.request_id, None)

    def _teardown(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            pairs = list(self._pairs.values())
        for pair in pairs:
            pair.finished = True
            self._close_backend(pair)
        self._on_close()
