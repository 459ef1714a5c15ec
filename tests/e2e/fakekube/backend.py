"""The process "inside" a fake pod: a small HTTP server on 127.0.0.1.

GET / answers the pod's name, GET /slow?ms=N answers it after N milliseconds (a request in
flight across a pod switch), GET /slow-body?ms=N sends the headers at once and the body N ms
later (a response in progress), GET /healthz answers 200 (or 500 on cue), POST /echo returns the
body. stop() closes the port and every open connection, as a dying container would; start()
listens again on the same port, which the first start reserved (fakekube/ports.py); close() stops
it for good and gives the port back.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from typing import Optional

from .ports import release_ports, reserve_ports


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Pod-Name", self.server.backend.pod_name)
        self.send_header("X-Pod-Namespace", self.server.backend.namespace)
        self.send_header("X-Container-Port", str(self.server.backend.container_port))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        backend = self.server.backend
        backend.count_request()
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            if backend.healthy:
                self._reply(200, b"ok")
            else:
                self._reply(500, b"unhealthy")
        elif path == "/":
            self._reply(200, backend.pod_name.encode())
        elif path == "/slow-body":
            # The status line and headers at once, the body N ms later: a response in progress.
            query = dict(part.split("=", 1) for part in self.path.partition("?")[2].split("&")
                         if "=" in part)
            body = backend.pod_name.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            backend.count_slow_request()
            time.sleep(min(int(query.get("ms", "1000")), 30000) / 1000)
            self.wfile.write(body)
        elif path == "/slow":
            query = dict(part.split("=", 1) for part in self.path.partition("?")[2].split("&")
                         if "=" in part)
            backend.count_slow_request()
            time.sleep(min(int(query.get("ms", "1000")), 30000) / 1000)
            self._reply(200, backend.pod_name.encode())
        else:
            self._reply(404, b"not found")

    def do_POST(self) -> None:  # noqa: N802
        self.server.backend.count_request()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?", 1)[0] == "/echo":
            self._reply(200, body, "application/octet-stream")
        else:
            self._reply(404, b"not found")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    backend: "Backend"

    def process_request(self, request, client_address):
        with self.backend._lock:
            self.backend._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.backend._lock:
            self.backend._connections.discard(request)
        super().shutdown_request(request)


class Backend:
    """One listening port of one container of one pod."""

    def __init__(self, pod_name: str, namespace: str, container_port: int) -> None:
        self.pod_name = pod_name
        self.namespace = namespace
        self.container_port = container_port
        self.healthy = True
        self.port = 0
        self.requests = 0
        self.slow_requests = 0  # GET /slow and /slow-body requests that have started
        self._lock = threading.Lock()
        self._counted = threading.Condition(self._lock)
        self._connections: set[socket.socket] = set()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def count_request(self) -> None:
        with self._counted:
            self.requests += 1
            self._counted.notify_all()

    def count_slow_request(self) -> None:
        with self._counted:
            self.slow_requests += 1
            self._counted.notify_all()

    def wait_for_slow_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Waits until `count` GET /slow requests are in progress or done; False on timeout."""
        with self._counted:
            return self._counted.wait_for(lambda: self.slow_requests >= count, timeout)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Waits until `count` requests have been answered in all; False on timeout."""
        with self._counted:
            return self._counted.wait_for(lambda: self.requests >= count, timeout)

    def start(self) -> None:
        """Listens on 127.0.0.1: a reserved port the first time, the same port afterwards."""
        if self._server is not None:
            return
        if self.port == 0:
            (self.port,) = reserve_ports(1)
        server = _Server(("127.0.0.1", self.port), _Handler, bind_and_activate=False)
        server.backend = self
        try:
            server.server_bind()
            server.server_activate()
        except OSError:
            server.server_close()
            raise
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"backend-{self.pod_name}-{self.container_port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Closes the port (connect() is refused) and drops open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        """Stops for good (the pod is gone) and gives the port back to the allocator."""
        self.stop()
        if self.port:
            release_ports([self.port])
            self.port = 0
