#!/usr/bin/env python3
"""Servers for readiness-probe tests: each is the program of a command forward, so pfd supervises
it and probes its port. Every cue a test waits for is a line on stdout (pfd logs it as
`NAME| line` at debug level); a test steers a server with an HTTP request to it or a signal.

probe_targets.py http PORT [--status N] [--hold-after N]
    GET /healthz   -> status N (default 200); prints "probe K /healthz -> N (pid P)" just before
                      answering (K counts /healthz requests from 1)
    --hold-after N -> /healthz requests after the first N are held (prints "holding /healthz")
                      until GET /release
    GET /status?code=N -> later /healthz requests answer N
    GET /release   -> lets the held /healthz requests answer
    other paths    -> 200 "NAME"
probe_targets.py https PORT --cert FILE --key FILE [...]
    the same over TLS with that certificate
probe_targets.py hang PORT
    accepts connections and never answers; prints "accepted K" per connection and, when the
    client gives up, "peer closed K after MS ms"
probe_targets.py tcp PORT [--listen-on-signal]
    accepts connections and closes them; SIGUSR1 closes the listening socket (so connections
    are refused) and prints "listener closed". With --listen-on-signal it does not listen until
    the first SIGUSR1 ("waiting for SIGUSR1", then "listening on PORT").
All modes print "NAME listening on PORT" once the port accepts connections.
"""
import argparse
import http.server
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse


_say_lock = threading.Lock()


def say(text: str) -> None:
    # One write per line: request threads must not interleave their cues.
    with _say_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


class HealthState:
    """What /healthz answers; shared by the request threads."""

    def __init__(self, status: int, hold_after):
        self._lock = threading.Lock()
        self.status = status
        self.hold_after = hold_after
        self.count = 0
        self.released = threading.Event()

    def next_probe(self):
        with self._lock:
            self.count += 1
            return self.count, self.status


def make_handler(name: str, state: HealthState):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):  # stdout carries the cues
            pass

        def answer(self, status: int, text: str) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path == "/healthz":
                count, status = state.next_probe()
                if state.hold_after is not None and count > state.hold_after:
                    say("holding /healthz")
                    state.released.wait()
                    status = state.status
                say(f"probe {count} /healthz -> {status} (pid {os.getpid()})")
                self.answer(status, f"{name} {status}\n")
            elif url.path == "/status":
                state.status = int(query.get("code", ["200"])[0])
                say(f"/healthz now answers {state.status}")
                self.answer(200, "ok\n")
            elif url.path == "/release":
                state.released.set()
                say("released /healthz")
                self.answer(200, "ok\n")
            else:
                self.answer(200, f"{name}\n")

    return Handler


class TlsHttpServer(http.server.ThreadingHTTPServer):
    """Runs the TLS handshake on the request's thread, so a client that connects and sends nothing
    (pfd's port check) or gives up on the certificate cannot stall the accept loop."""

    def __init__(self, address, handler, context: ssl.SSLContext):
        self.tls_context = context
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        try:
            request = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            say(f"TLS handshake failed: {error}")
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # a client that hung up mid-request is not news


def serve_http(args, tls: bool) -> None:
    state = HealthState(args.status, args.hold_after)
    handler = make_handler(args.name, state)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server = TlsHttpServer(("127.0.0.1", args.port), handler, context)
    else:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    say(f"{args.name} listening on {args.port}")
    server.serve_forever()


def listen(port: int) -> socket.socket:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    return listener


def serve_hang(args) -> None:
    listener = listen(args.port)
    say(f"{args.name} listening on {args.port}")
    count = 0

    def hold(connection: socket.socket, number: int, accepted: float) -> None:
        # Never answers: reads until the client gives up and closes its end.
        try:
            while connection.recv(4096):
                pass
        except OSError:
            pass
        elapsed_ms = (time.monotonic() - accepted) * 1000
        say(f"peer closed {number} after {elapsed_ms:.1f} ms")
        connection.close()

    while True:
        connection, _ = listener.accept()
        accepted = time.monotonic()
        count += 1
        say(f"accepted {count}")
        threading.Thread(target=hold, args=(connection, count, accepted), daemon=True).start()


def serve_tcp(args) -> None:
    # Signals arrive as bytes on a pipe the accept loop selects on, so a cue can never slip in
    # between a check and a blocking call.
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGUSR1, lambda *unused: None)
    listener = None
    closed = False
    if args.listen_on_signal:
        say("waiting for SIGUSR1")
    else:
        listener = listen(args.port)
        say(f"{args.name} listening on {args.port}")
    while True:
        watched = [wake_read] + ([listener] if listener is not None else [])
        readable, _, _ = select.select(watched, [], [])
        if wake_read in readable:
            for signal_number in os.read(wake_read, 64):
                if signal_number != signal.SIGUSR1:
                    continue
                if listener is None and not closed:
                    listener = listen(args.port)
                    say(f"{args.name} listening on {args.port}")
                elif listener is not None:
                    listener.close()
                    listener = None
                    closed = True
                    say("listener closed")
        elif listener is not None and listener in readable:
            connection, _ = listener.accept()
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["http", "https", "hang", "tcp"])
    parser.add_argument("port", type=int)
    parser.add_argument("--name", default="probe-target")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--hold-after", type=int, default=None)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--listen-on-signal", action="store_true")
    args = parser.parse_args()
    if args.mode == "https" and not (args.cert and args.key):
        parser.error("https needs --cert and --key")
    # SIGTERM from pfd must end the process even while threads are blocked.
    signal.signal(signal.SIGTERM, lambda *unused: os._exit(0))
    if args.mode in ("http", "https"):
        serve_http(args, tls=args.mode == "https")
    elif args.mode == "hang":
        serve_hang(args)
    else:
        serve_tcp(args)


if __name__ == "__main__":
    sys.exit(main())
