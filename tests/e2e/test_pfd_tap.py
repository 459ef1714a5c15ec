"""pfctl tap against real kubectl: an HTTP request through a forward shows in the tap, request line
and response headers, as socat -v would show them. Real pfd, real kubectl, the fake API server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import http_get, kube_forward, pfd_config, reserve_ports

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from pfd_harness import LineLog  # noqa: E402


def test_an_http_request_shows_its_request_line_and_response_headers(cluster, make_pfd):
    cluster.add_deployment("web", replicas=1, ports={"http": 8080})
    (port,) = reserve_ports(1)
    pfd = make_pfd(pfd_config(cluster, kube_forward("web", "deployment/web", f"{port}:8080")))
    pfd.wait_for_state("web", "READY")
    tap = subprocess.Popen([pfd.pfctl_bin, "--socket", pfd.socket, "tap", "web"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=pfd.env)
    out = LineLog(tap.stdout)
    err = LineLog(tap.stderr)
    try:
        err.wait_for(rf"^tapping forward web \(port {port}\); Ctrl-C to stop$")
        body = http_get(port, "/")
        out.wait_for(r"^> \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}  length=\d+ from=0 to=\d+  "
                     r"#\d+ 127\.0\.0\.1:\d+$")
        out.wait_for(r"^GET / HTTP/1\.1\\r$")
        out.wait_for(r"^< \S+ \S+  length=\d+ from=0 to=\d+  #\d+ 127\.0\.0\.1:\d+$")
        out.wait_for(r"^HTTP/1\.[01] 200 OK\\r$")
        out.wait_for(r"^Content-Length: %d\\r$" % len(body))
        out.wait_for(r"^X-Pod-Name: %s\\r$" % body)
        out.wait_for(r"^\* .* closed after \S+: \d+ bytes in, \d+ bytes out \(closed\)$")
        tap.send_signal(signal.SIGINT)
        assert tap.wait(20) == 0
    finally:
        if tap.poll() is None:
            tap.kill()
            tap.wait()
        out.wait_closed(5)
        err.wait_closed(5)
