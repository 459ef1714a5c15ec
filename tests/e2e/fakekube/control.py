"""A small HTTP control endpoint, on its own port (so it stays up while the API server is down),
for shells and benchmarks that break the cluster from outside the Python process.

    POST /_fake/pods/NS/NAME/delete?grace=S&close_sessions=1&ready_while_terminating=1
    POST /_fake/pods/NS/NAME/ready?value=false
    POST /_fake/pods/NS/NAME/phase?value=Pending
    POST /_fake/pods/NS/NAME/restart
    POST /_fake/pods/NS/NAME/backend/stop|start?port=P
    POST /_fake/pods/NS/NAME/health?value=false&port=P
    POST /_fake/deployments/NS/NAME/rollout?grace=S&ready_while_terminating=0
    POST /_fake/deployments/NS/NAME/scale?replicas=N   (also statefulsets, replicasets)
    POST /_fake/api/down | /_fake/api/up
    POST /_fake/api/hang?value=true | /_fake/api/delay?seconds=S
    POST /_fake/api/unavailable?value=true   (every new request answered 503)
    POST /_fake/streams/hang?value=true  | /_fake/upgrades/hang?value=true
    POST /_fake/forbid?verb=create&resource=pods/portforward&namespace=NS  | /_fake/allow
    POST /_fake/unauthorized?value=true
    GET  /_fake/state       pods (name, phase, ready, terminating), sessions, API mode

Answers are JSON: {"ok": true, ...} or {"ok": false, "error": "..."} with a 4xx status.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from .cluster import FakeCluster
from .state import NotFound

_KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet", "replicasets": "ReplicaSet"}


def _flag(query: dict, name: str, default: bool = True) -> bool:
    value = query.get(name)
    if value is None:
        return default
    return value.lower() in ("1", "true", "yes", "on")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ControlServer"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body, indent=1).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's naming
        if urlsplit(self.path).path.rstrip("/") == "/_fake/state":
            self._answer(200, {"ok": True, **self.server.snapshot()})
        else:
            self._answer(404, {"ok": False, "error": f"no such endpoint: GET {self.path}"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [s for s in parts.path.split("/") if s]
        try:
            result = self.server.act(segments, query)
        except (NotFound, LookupError) as exc:
            self._answer(404, {"ok": False, "error": str(exc)})
            return
        except (ValueError, TypeError) as exc:
            self._answer(400, {"ok": False, "error": str(exc)})
            return
        if result is None:
            self._answer(
                404, {"ok": False, "error": f"no such endpoint: POST {parts.path} (see control.py)"}
            )
            return
        self._answer(200, {"ok": True, **result})


class ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cluster: FakeCluster, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.cluster = cluster
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="fakekube-control",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def snapshot(self) -> dict:
        cluster = self.cluster
        pods = [
            {
                "namespace": p.namespace,
                "name": p.name,
                "phase": p.phase,
                "ready": p.ready,
                "terminating": p.terminating,
                "ports": {
                    str(port): cluster.backend(p.name, port, p.namespace).port
                    for port in p.declared_ports()
                },
                "sessions": cluster.open_sessions(p.name, p.namespace),
            }
            for p in cluster.pods(ns=None)
        ]
        return {
            "api": {
                "port": cluster.port,
                "serving": cluster.server.serving,
                "hanging": cluster.server.hanging,
                "delay_seconds": cluster.server.delay_seconds,
                "unavailable": cluster.router.unavailable,
                "upgrades_hang": cluster.server.upgrades_hanging,
                "streams_hang": cluster.state.hang_streams,
            },
            "pods": pods,
        }

    def act(self, segments: list[str], query: dict) -> Optional[dict]:
        cluster = self.cluster
        if segments[:1] != ["_fake"]:
            return None
        rest = segments[1:]
        if len(rest) >= 4 and rest[0] == "pods":
            namespace, name, action = rest[1], rest[2], rest[3:]
            port = int(query["port"]) if "port" in query else None
            if action == ["delete"]:
                grace = float(query["grace"]) if "grace" in query else None
                cluster.delete_pod(name, namespace, grace, _flag(query, "close_sessions", False),
                                   _flag(query, "ready_while_terminating", False))
            elif action == ["ready"]:
                cluster.set_ready(name, _flag(query, "value"), namespace)
            elif action == ["phase"]:
                cluster.set_phase(name, query.get("value", "Running"), namespace)
            elif action == ["restart"]:
                cluster.restart_containers(name, namespace)
            elif action == ["backend", "stop"]:
                cluster.stop_backend(name, port, namespace)
            elif action == ["backend", "start"]:
                cluster.start_backend(name, port, namespace)
            elif action == ["health"]:
                cluster.set_healthy(name, _flag(query, "value"), port, namespace)
            else:
                return None
            return {"pod": name}
        if len(rest) == 4 and rest[0] in _KINDS:
            kind, namespace, name, action = _KINDS[rest[0]], rest[1], rest[2], rest[3]
            if action == "rollout" and kind == "Deployment":
                grace = float(query["grace"]) if "grace" in query else None
                return {"pods": cluster.rollout(name, namespace, grace,
                                                _flag(query, "ready_while_terminating", True))}
            if action == "scale":
                cluster.scale(name, int(query["replicas"]), namespace, kind)
                return {"pods": cluster.pod_names(f"{rest[0]}/{name}", namespace)}
            return None
        if rest == ["api", "down"]:
            cluster.api_down()
        elif rest == ["api", "up"]:
            cluster.api_up()
        elif rest == ["api", "hang"]:
            cluster.api_hang(_flag(query, "value"))
        elif rest == ["api", "unavailable"]:
            cluster.api_unavailable(_flag(query, "value"))
        elif rest == ["api", "delay"]:
            cluster.api_delay(float(query.get("seconds", "0")))
        elif rest == ["streams", "hang"]:
            cluster.hang_streams(_flag(query, "value"))
        elif rest == ["upgrades", "hang"]:
            cluster.hang_upgrades(_flag(query, "value"))
        elif rest == ["forbid"]:
            cluster.forbid(
                query.get("verb"), query.get("resource"), query.get("namespace"), query.get("user")
            )
        elif rest == ["allow"]:
            cluster.allow_all()
        elif rest == ["unauthorized"]:
            cluster.set_unauthorized(_flag(query, "value"))
        else:
            return None
        return {}
