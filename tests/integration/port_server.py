#!/usr/bin/env python3
"""A stand-in for a port-forwarding program: listens on 127.0.0.1:PORT and exits on cue.

GET /            -> 200 "NAME\n" (NAME from --name), and a line "request /" on stdout
GET /say?text=X  -> prints X on stdout (and "stderr: X" on stderr), 200
GET /exit?code=N -> answers 200, then exits with code N
--exit-at-once N -> exits with code N before listening (a program that cannot start)
--ignore-sigterm -> survives SIGTERM (so pfd must escalate to SIGKILL)
--spawn-grandchild -> starts `sleep 1000` in its process group, printing "grandchild PID"
"""
import argparse
import http.server
import os
import signal
import subprocess
import sys
import threading
import urllib.parse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--name", default="port-server")
    parser.add_argument("--exit-at-once", type=int, default=None)
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--spawn-grandchild", action="store_true")
    args = parser.parse_args()

    if args.exit_at_once is not None:
        print(f"{args.name}: refusing to start", file=sys.stderr, flush=True)
        sys.exit(args.exit_at_once)
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.spawn_grandchild:
        grandchild = subprocess.Popen(["sleep", "1000"])
        print(f"grandchild {grandchild.pid}", flush=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *unused):  # keep stdout for the cues
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            body = f"{args.name}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if url.path == "/say":
                text = query.get("text", [""])[0]
                print(text, flush=True)
                print(f"stderr: {text}", file=sys.stderr, flush=True)
            elif url.path == "/exit":
                code = int(query.get("code", ["0"])[0])
                threading.Thread(target=lambda: os._exit(code)).start()
            else:
                print(f"request {url.path}", flush=True)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"{args.name} listening on {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
