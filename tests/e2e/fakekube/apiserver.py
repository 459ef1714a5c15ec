"""The listening side of the fake API server: sockets, HTTP/1.1, watches and upgrades.

It can be taken down (the port refuses connections, open connections drop) and brought back on
the same port, made to hang (requests are read but never answered) or to answer slowly.
"""

from __future__ import annotations

import collections
import dataclasses
import http.server
import json
import logging
import select
import socket
import threading
import time
import uuid
from typing import Callable, Optional

from . import tables, websocket
from .api_routes import ApiRouter, PortForwardUpgrade, Request, Response, WatchStream
from .api_routes import field_selector_matches
from .selectors import label_selector_matches
from .portforward import PortForwardSession
from .ports import release_ports, reserve_ports

log = logging.getLogger("fakekube.apiserver")

SPDY_PROTOCOL = "portforward.k8s.io"
WEBSOCKET_SPDY_PROTOCOL = "SPDY/3.1+portforward.k8s.io"


@dataclasses.dataclass
class RequestRecord:
    """One request as the server saw it (for tests that assert what kubectl asked)."""

    method: str
    path: str
    user_agent: str
    accept: str
    upgrade: str
    status: int = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ApiServer"  # type: ignore[assignment]

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # --- request ------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        api = self.server
        record = RequestRecord(
            self.command,
            self.path,
            self.headers.get("User-Agent", ""),
            self.headers.get("Accept", ""),
            self.headers.get("Upgrade", ""),
        )
        api.record(record)
        body = self._read_body()
        if not api.wait_while_hanging():
            self.close_connection = True
            return
        api.apply_delay()
        request = Request(self.command, self.path, self.headers, body, api.address)
        result = api.router.handle(request)
        if isinstance(result, WatchStream):
            record.status = 200
            self._stream_watch(result)
        elif isinstance(result, PortForwardUpgrade):
            if not api.wait_while_hanging(upgrades=True):
                self.close_connection = True
                return
            self._upgrade(result, request, record)
        else:
            record.status = result.status
            self._send(result)

    # --- plain answers ------------------------------------------------------------------------

    def _common_headers(self) -> None:
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")

    def _send(self, response: Response) -> None:
        body = response.encode()
        self.send_response(response.status)
        self._common_headers()
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # --- watches ------------------------------------------------------------------------------

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _stream_watch(self, watch: WatchStream) -> None:
        api = self.server
        state = api.router.state
        resource = watch.resource
        # The starting point is fixed before the 200 goes out, so a client that has the headers
        # knows that every later change reaches it.
        with state.lock:
            since = state.resource_version
            initial = []
            if watch.resource_version < 0:
                # No resourceVersion (or "0"): the current state as synthetic ADDED events.
                initial = [
                    state.render(o)
                    for o in api.router.objects(resource, watch.namespace, watch.label_selector)
                ]
            else:
                since = watch.resource_version
        self.send_response(200)
        self._common_headers()
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        deadline = time.monotonic() + watch.timeout_seconds if watch.timeout_seconds else None

        def emit(event_type: str, obj: dict) -> None:
            if watch.table:
                obj = tables.to_table(
                    resource.name, [obj], state.resource_version, watch.include_object
                )
            line = json.dumps({"type": event_type, "object": obj}, separators=(",", ":"))
            self._write_chunk(line.encode() + b"\n")

        try:
            for obj in initial:
                if field_selector_matches(watch.field_selector, obj):
                    emit("ADDED", obj)
            while not api.stopping:
                for event in state.events_after(since):
                    since = event.resource_version
                    if (
                        event.resource == resource.name
                        and (watch.namespace is None or event.namespace == watch.namespace)
                        and label_selector_matches(watch.label_selector, event.labels)
                        and field_selector_matches(watch.field_selector, event.object)
                    ):
                        emit(event.type, event.object)
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if self._client_gone() or not api.serving:
                    return
                state.wait_for_change(since, 0.5)
            self._write_chunk(b"")
        except OSError:
            pass

    # --- port-forward upgrades ----------------------------------------------------------------

    def _read_upgraded(self, count: int) -> bytes:
        try:
            return self.rfile.read1(count)
        except (OSError, ValueError):
            return b""

    def _write_upgraded(self, data: bytes) -> None:
        self.connection.sendall(data)

    def _upgrade(
        self, upgrade: PortForwardUpgrade, request: Request, record: RequestRecord
    ) -> None:
        self.close_connection = True
        api = self.server
        kind = request.header("Upgrade").lower()
        if kind == "websocket":
            offered = [
                p.strip()
                for value in self.headers.get_all("Sec-WebSocket-Protocol", [])
                for p in value.split(",")
            ]
            key = request.header("Sec-WebSocket-Key")
            if WEBSOCKET_SPDY_PROTOCOL not in offered or not key:
                response = Response(
                    400,
                    b"unable to upgrade: no supported websocket protocol offered "
                    b"(this server tunnels SPDY/3.1+portforward.k8s.io only)\n",
                    "text/plain; charset=utf-8",
                )
                record.status = 400
                self._send(response)
                return
            headers = {
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Accept": websocket.accept_key(key),
                "Sec-WebSocket-Protocol": WEBSOCKET_SPDY_PROTOCOL,
            }
        else:
            headers = {
                "Connection": "Upgrade",
                "Upgrade": "SPDY/3.1",
                "X-Stream-Protocol-Version": SPDY_PROTOCOL,
            }
        read: Callable[[int], bytes] = self._read_upgraded
        write: Callable[[bytes], None] = self._write_upgraded
        if kind == "websocket":
            stream = websocket.WebSocketByteStream(self._read_upgraded, self._write_upgraded)
            read, write = stream.read, stream.write

        def on_close() -> None:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        state = api.router.state
        session = PortForwardSession(
            read,
            write,
            state.pod_target(upgrade.pod),
            on_close,
            f"{upgrade.namespace}/{upgrade.name} via {kind}",
        )
        # Registered before the 101 goes out: kubectl prints "Forwarding from" as soon as it has
        # the 101, and a test may delete the pod (closing its sessions) right after that line.
        state.add_session(upgrade.namespace, upgrade.name, session)
        api.count_session(kind)
        record.status = 101
        try:
            self.send_response_only(101)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Date", self.date_time_string())
            self.end_headers()
            self.wfile.flush()
        except OSError:
            state.remove_session(upgrade.namespace, upgrade.name, session)
            return
        try:
            session.serve()
        finally:
            state.remove_session(upgrade.namespace, upgrade.name, session)


class ApiServer:
    """Accepts connections on 127.0.0.1 and hands each to a _Handler thread."""

    def __init__(self, router: ApiRouter, host: str = "127.0.0.1", port: int = 0) -> None:
        self.router = router
        self.host = host
        self.port = port
        self._reserved_port: Optional[int] = None  # from the test-port allocator, if port was 0
        self.delay_seconds = 0.0
        self.stopping = False
        self.serving = False
        self.requests: collections.deque[RequestRecord] = collections.deque(maxlen=2000)
        self.sessions_opened = {"spdy/3.1": 0, "websocket": 0}
        self._listener: Optional[socket.socket] = None
        self._accept_thread: Optional[threading.Thread] = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._requests_changed = threading.Condition(self._lock)
        self._not_hanging = threading.Event()
        self._not_hanging.set()
        self._upgrades_not_hanging = threading.Event()
        self._upgrades_not_hanging.set()
        self._wake = threading.Event()

    # BaseHTTPRequestHandler reads these off its server.
    server_name = "fakekube"
    server_port = 0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def record(self, record: RequestRecord) -> None:
        with self._requests_changed:
            self.requests.append(record)
            self._requests_changed.notify_all()

    def wait_for_request(
        self, predicate: Callable[[RequestRecord], bool], timeout: float = 10.0
    ) -> RequestRecord:
        """The first request (already seen or yet to come) matching predicate."""
        deadline = time.monotonic() + timeout
        with self._requests_changed:
            while True:
                for record in self.requests:
                    if predicate(record):
                        return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching request within {timeout}s")
                self._requests_changed.wait(remaining)

    def count_session(self, kind: str) -> None:
        with self._lock:
            self.sessions_opened[kind] = self.sessions_opened.get(kind, 0) + 1

    # --- modes --------------------------------------------------------------------------------

    def set_hang(self, hang: bool, upgrades_only: bool = False) -> None:
        event = self._upgrades_not_hanging if upgrades_only else self._not_hanging
        if hang:
            event.clear()
        else:
            event.set()

    @property
    def hanging(self) -> bool:
        return not self._not_hanging.is_set()

    @property
    def upgrades_hanging(self) -> bool:
        return not self._upgrades_not_hanging.is_set()

    def wait_while_hanging(self, upgrades: bool = False) -> bool:
        """False if the server went down or stopped while the request was held."""
        event = self._upgrades_not_hanging if upgrades else self._not_hanging
        while not event.wait(0.5):
            if self.stopping or not self.serving:
                return False
        return not self.stopping

    def apply_delay(self) -> None:
        if self.delay_seconds > 0:
            self._wake.wait(self.delay_seconds)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Listens (again) on the same port; the first start reserves one (fakekube/ports.py)."""
        with self._lock:
            if self._listener is not None:
                return
            if self.port == 0:
                (self.port,) = reserve_ports(1)
                self._reserved_port = self.port
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((self.host, self.port))
            except OSError:
                listener.close()
                raise
            listener.listen(128)
            self.port = listener.getsockname()[1]
            self._listener = listener
            self.serving = True
            self._accept_thread = threading.Thread(
                target=self._accept_loop,
                args=(listener,),
                name=f"apiserver-{self.port}",
                daemon=True,
            )
            self._accept_thread.start()

    def down(self) -> None:
        """Closes the port (connect() is refused) and drops every open connection, port-forward
        sessions included, as a crashed API server would."""
        with self._lock:
            listener, self._listener = self._listener, None
            self.serving = False
            connections = list(self._connections)
            thread, self._accept_thread = self._accept_thread, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()
        self._not_hanging.set()
        self._upgrades_not_hanging.set()
        self.down()
        if self._reserved_port is not None:
            release_ports([self._reserved_port])
            self._reserved_port = None

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                connection, address = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:
                    connection.close()
                    return
                self._connections.add(connection)
            threading.Thread(
                target=self._serve_connection,
                args=(connection, address),
                name=f"apiserver-conn-{address[1]}",
                daemon=True,
            ).start()

    def _serve_connection(self, connection: socket.socket, address) -> None:
        try:
            _Handler(connection, address, self)
        except (OSError, ValueError) as exc:
            log.debug("connection from %s ended: %s", address, exc)
        finally:
            with self._lock:
                self._connections.discard(connection)
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
