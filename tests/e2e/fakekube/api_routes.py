"""The REST surface of the fake API server: paths, verbs, content negotiation, Status errors.

Pure request -> response mapping over ClusterState; sockets, upgrades and streaming live in
apiserver.py. Paths follow the real server: /api/v1/namespaces/NS/pods/NAME/portforward etc.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Optional, Union
from urllib.parse import parse_qs, urlsplit

from . import discovery, render, tables
from .discovery import Resource
from .selectors import (
    FIELDS,
    SelectorError,
    field_selector_matches,
    label_selector_matches,
    parse_field_selector,
)
from .state import ClusterState, NotFound

JSON = "application/json"

# client-go sends no credentials over plain http, so the two kubeconfig contexts are told apart
# by a path prefix on their server URL (as Rancher-style proxies do): no prefix is fake-a-user.
CONTEXT_PREFIXES = {"": "fake-a-user", "/clusters/fake-b": "fake-b-user"}


@dataclasses.dataclass
class Request:
    method: str
    target: str
    headers: Any  # email.message.Message: case-insensitive get()
    body: bytes = b""
    host: str = ""

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        path = parts.path
        self.user = CONTEXT_PREFIXES[""]
        for prefix, user in CONTEXT_PREFIXES.items():
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                path = path[len(prefix) :]
                self.user = user
        self.path = path.rstrip("/") or "/"
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def header(self, name: str) -> str:
        return self.headers.get(name, "") or ""


@dataclasses.dataclass
class Response:
    status: int
    body: Union[dict, bytes]
    content_type: str = JSON
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode() + b"\n"


@dataclasses.dataclass
class WatchStream:
    """A watch: apiserver.py streams the events this object selects."""

    resource: Resource
    namespace: Optional[str]
    label_selector: Optional[str]
    field_selector: dict[str, tuple[str, str]]
    resource_version: int
    timeout_seconds: Optional[float]
    table: bool
    include_object: str


@dataclasses.dataclass
class PortForwardUpgrade:
    namespace: str
    name: str
    pod: Any  # model.Pod


@dataclasses.dataclass
class ForbiddenRule:
    """Requests matching every non-None field get 403 Forbidden."""

    verb: Optional[str] = None
    resource: Optional[str] = None  # "pods", "pods/portforward", "deployments"...
    namespace: Optional[str] = None
    user: Optional[str] = None

    def matches(self, verb: str, resource: str, namespace: Optional[str], user: str) -> bool:
        return (
            (self.verb is None or self.verb == verb)
            and (self.resource is None or self.resource == resource)
            and (self.namespace is None or self.namespace == namespace)
            and (self.user is None or self.user == user)
        )


class ApiError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.body)
        self.response = response


def status_response(code: int, reason: str, message: str, details: Optional[dict] = None):
    return Response(code, render.status_json(code, reason, message, details))


def not_found(resource: Resource, name: str) -> Response:
    details = {"name": name, "kind": resource.name}
    if resource.group:
        details = {"name": name, "group": resource.group, "kind": resource.name}
    return status_response(404, "NotFound", f'{resource.qualified} "{name}" not found', details)


_NO_ROUTE = status_response(404, "NotFound", "the server could not find the requested resource")
_UNAVAILABLE = status_response(
    503, "ServiceUnavailable", "the server is currently unable to handle the request"
)
_METHOD_NOT_ALLOWED = status_response(
    405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
)

_PATH = re.compile(
    r"^/(?:api/v1|apis/(?P<group>[a-z0-9.]+)/v1)"
    r"(?:/namespaces/(?P<ns>[^/]+)(?=/))?"
    r"/(?P<resource>[a-z]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>[a-z]+))?)?$"
)


def _accepts_json(accept: str) -> bool:
    if not accept:
        return True
    types = [part.split(";")[0].strip() for part in accept.split(",")]
    return any(t in (JSON, "*/*", "application/*") for t in types)


def _wants_table(accept: str) -> bool:
    return any(
        "as=Table" in part and "g=meta.k8s.io" in part
        for part in accept.replace(" ", "").split(",")
    )


class ApiRouter:
    def __init__(self, state: ClusterState, server_version: str = "1.32") -> None:
        self.state = state
        major, minor = server_version.split(".")[:2]
        self.server_version = (major, minor)
        self.forbidden: list[ForbiddenRule] = []
        self.unauthorized = False
        # Every request answered 503 ServiceUnavailable (an overloaded or restarting API server
        # behind a load balancer); streams already open (watches, port-forwards) go on.
        self.unavailable = False
        self.aggregated_discovery = True
        self.websocket_portforward = True

    # --- entry point --------------------------------------------------------------------------

    def handle(self, request: Request) -> Union[Response, WatchStream, PortForwardUpgrade]:
        if self.unavailable:
            return _UNAVAILABLE
        try:
            return self._route(request)
        except ApiError as exc:
            return exc.response
        except NotFound as exc:
            return status_response(404, "NotFound", str(exc))

    def authenticate(self, request: Request) -> str:
        if self.unauthorized:
            raise ApiError(status_response(401, "Unauthorized", "Unauthorized"))
        return request.user

    def _route(self, request: Request):
        path = request.path
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain; charset=utf-8")
        user = self.authenticate(request)
        if path == "/version":
            return Response(200, self._version())
        if path in ("/api", "/apis"):
            return self._discovery_root(request, named_groups=path == "/apis")
        if path == "/api/v1":
            return Response(200, discovery.api_resource_list(""))
        if path.startswith("/apis/"):
            group_path = path[len("/apis/") :].split("/")
            if len(group_path) == 1:
                group = discovery.api_group(group_path[0])
                return Response(200, group) if group else _NO_ROUTE
            if len(group_path) == 2 and group_path[1] == "v1" and group_path[0] in discovery.GROUPS:
                return Response(200, discovery.api_resource_list(group_path[0]))
        match = _PATH.match(path)
        if not match:
            return _NO_ROUTE
        group = match.group("group") or ""
        namespace, name, sub = match.group("ns"), match.group("name"), match.group("sub")
        resource_name = match.group("resource")
        resource = discovery.find_resource(group, resource_name)
        if resource is None:
            return _NO_ROUTE
        if resource.namespaced != (namespace is not None) and not (
            resource.namespaced and namespace is None and name is None
        ):
            return _NO_ROUTE
        if sub and sub not in {s.name for s in resource.subresources}:
            return _NO_ROUTE
        if request.method not in ("GET", "POST", "DELETE", "PATCH", "PUT"):
            return _METHOD_NOT_ALLOWED
        verb = self._verb(request, name, sub)
        full_resource = f"{resource.name}/{sub}" if sub else resource.name
        self._authorize(user, verb, resource, full_resource, namespace, name)
        if not _accepts_json(request.header("Accept")) and sub != "portforward":
            return status_response(
                406,
                "NotAcceptable",
                "the server was unable to respond with a content type that the client supports",
            )
        if sub == "portforward":
            return self._portforward(request, namespace, name)
        if sub == "scale":
            return self._scale(request, resource, namespace, name)
        if sub == "log" and request.method == "GET":
            pod = self._find(resource, namespace, name)
            return Response(200, f"fake log of pod {pod.name}\n".encode(), "text/plain")
        if sub in ("exec", "proxy"):
            return status_response(400, "BadRequest", f"{sub} is not supported by the fake server")
        if name is None:
            if request.method != "GET":
                return _METHOD_NOT_ALLOWED
            return self._list(request, resource, namespace)
        if request.method == "GET":
            return self._get(request, resource, namespace, name)
        if request.method == "DELETE" and resource.name == "pods":
            return self._delete_pod(request, namespace, name)
        if request.method == "PATCH" and resource.name == "deployments":
            return self._patch_deployment(request, namespace, name)
        return _METHOD_NOT_ALLOWED

    # --- helpers ------------------------------------------------------------------------------

    def _version(self) -> dict:
        major, minor = self.server_version
        return {
            "major": major,
            "minor": minor,
            "emulationMajor": major,
            "emulationMinor": minor,
            "minCompatibilityMajor": major,
            "minCompatibilityMinor": str(max(0, int(minor) - 1)),
            "gitVersion": f"v{major}.{minor}.0",
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z",
            "goVersion": "go1.23.4",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def _discovery_root(self, request: Request, named_groups: bool) -> Response:
        version = (
            discovery.negotiate_aggregated(request.header("Accept"))
            if self.aggregated_discovery
            else None
        )
        headers = {"Vary": "Accept"}
        if version is not None:
            return Response(
                200,
                discovery.aggregated_discovery(version, named_groups),
                discovery.aggregated_content_type(version),
                headers,
            )
        body = (
            discovery.api_group_list()
            if named_groups
            else discovery.api_versions(request.host or "127.0.0.1")
        )
        return Response(200, body, JSON, headers)

    @staticmethod
    def _verb(request: Request, name: Optional[str], sub: Optional[str]) -> str:
        if sub == "portforward":
            return "create" if request.method == "POST" else "get"
        if request.method == "GET":
            if name is None:
                return "watch" if request.query.get("watch") in ("1", "true") else "list"
            return "get"
        return {"DELETE": "delete", "PATCH": "patch", "PUT": "update", "POST": "create"}[
            request.method
        ]

    def _authorize(
        self,
        user: str,
        verb: str,
        resource: Resource,
        full_resource: str,
        namespace: Optional[str],
        name: Optional[str],
    ) -> None:
        for rule in self.forbidden:
            if rule.matches(verb, full_resource, namespace, user):
                subject = f'{resource.qualified} "{name}"' if name else resource.qualified
                where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
                message = (
                    f'{subject} is forbidden: User "{user}" cannot {verb} resource '
                    f'"{full_resource}" in API group "{resource.group}"{where}'
                )
                details: dict = {"kind": resource.name}
                if name:
                    details = {"name": name, **details}
                if resource.group:
                    details["group"] = resource.group
                raise ApiError(status_response(403, "Forbidden", message, details))

    def objects(self, resource: Resource, namespace: Optional[str], selector: Optional[str]):
        state = self.state
        if resource.name == "pods":
            return state.list_pods(namespace, selector)
        if resource.name == "services":
            return state.list_services(namespace, selector)
        if resource.name == "namespaces":
            return [
                ns
                for _, ns in sorted(state.namespaces.items())
                if label_selector_matches(selector, {"kubernetes.io/metadata.name": ns.name})
            ]
        return state.list_workloads(resource.kind, namespace, selector)

    def _find(self, resource: Resource, namespace: Optional[str], name: str):
        state = self.state
        with state.lock:
            if resource.name == "pods":
                obj = state.pods.get((namespace, name))
            elif resource.name == "services":
                obj = state.services.get((namespace, name))
            elif resource.name == "namespaces":
                obj = state.namespaces.get(name)
            else:
                obj = state.workloads.get((resource.kind, namespace, name))
        if obj is None:
            raise ApiError(not_found(resource, name))
        return obj

    def _include_object(self, request: Request) -> str:
        return request.query.get("includeObject", "Metadata") or "Metadata"

    def _list(self, request: Request, resource: Resource, namespace: Optional[str]):
        label_selector = request.query.get("labelSelector") or None
        fields = parse_field_selector(request.query.get("fieldSelector", ""))
        pod_only = ("status.phase", "spec.nodeName")
        for key in fields:
            if key not in FIELDS or (key in pod_only and resource.name != "pods"):
                message = f"field label not supported: {key}"
                raise ApiError(status_response(400, "BadRequest", message))
        try:
            # Validate the selector once, so a bad one is a 400 and not a dropped watch.
            label_selector_matches(label_selector, {})
        except SelectorError as exc:
            raise ApiError(status_response(400, "BadRequest", str(exc))) from None
        table = _wants_table(request.header("Accept")) and tables.supports_table(resource.name)
        if request.query.get("watch") in ("1", "true"):
            rv_text = request.query.get("resourceVersion", "")
            timeout = request.query.get("timeoutSeconds")
            return WatchStream(
                resource=resource,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=fields,
                resource_version=int(rv_text) if rv_text.isdigit() and int(rv_text) else -1,
                timeout_seconds=float(timeout) if timeout else None,
                table=table,
                include_object=self._include_object(request),
            )
        with self.state.lock:
            version = self.state.resource_version
            objects = [
                self.state.render(o) for o in self.objects(resource, namespace, label_selector)
            ]
        objects = [o for o in objects if field_selector_matches(fields, o)]
        if table:
            return Response(
                200, tables.to_table(resource.name, objects, version, self._include_object(request))
            )
        api_version = resource.group_version
        return Response(200, render.list_json(resource.kind, api_version, objects, version))

    def _get(self, request: Request, resource: Resource, namespace: Optional[str], name: str):
        obj = self._find(resource, namespace, name)
        body = self.state.render(obj)
        if _wants_table(request.header("Accept")) and tables.supports_table(resource.name):
            body = tables.to_table(
                resource.name, [body], self.state.resource_version, self._include_object(request)
            )
        return Response(200, body)

    def _portforward(self, request: Request, namespace: str, name: str):
        resource = discovery.find_resource("", "pods")
        assert resource is not None
        pod = self._find(resource, namespace, name)
        upgrade = request.header("Upgrade").lower()
        if upgrade == "websocket" and not self.websocket_portforward:
            # What an API server without the PortForwardWebsockets tunnel answers: any non-101
            # status makes kubectl >= 1.31 fall back to SPDY.
            return status_response(
                400,
                "BadRequest",
                "unable to upgrade: websocket tunneling of portforward is disabled",
            )
        if upgrade not in ("spdy/3.1", "websocket"):
            return status_response(400, "BadRequest", "Upgrade request required")
        if not pod.node_name:
            return status_response(400, "BadRequest", f"pod {name} does not have a host assigned")
        return PortForwardUpgrade(namespace, name, pod)

    def _delete_pod(self, request: Request, namespace: str, name: str) -> Response:
        resource = discovery.find_resource("", "pods")
        assert resource is not None
        self._find(resource, namespace, name)
        grace: Optional[float] = None
        if request.query.get("gracePeriodSeconds", "").isdigit():
            grace = float(request.query["gracePeriodSeconds"])
        if request.body:
            try:
                options = json.loads(request.body)
                if isinstance(options, dict) and options.get("gracePeriodSeconds") is not None:
                    grace = float(options["gracePeriodSeconds"])
            except ValueError:
                raise ApiError(
                    status_response(400, "BadRequest", "invalid DeleteOptions")
                ) from None
        pod = self.state.delete_pod(namespace, name, grace)
        return Response(200, self.state.render(pod))

    def _scale(self, request: Request, resource: Resource, namespace: str, name: str):
        workload = self._find(resource, namespace, name)
        if request.method in ("PUT", "PATCH"):
            try:
                body = json.loads(request.body or b"{}")
                replicas = int(body["spec"]["replicas"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(
                    status_response(400, "BadRequest", "scale needs a body with spec.replicas")
                ) from None
            workload = self.state.scale(resource.kind, namespace, name, replicas)
        elif request.method != "GET":
            return _METHOD_NOT_ALLOWED
        with self.state.lock:
            rendered = self.state.render(workload)
        return Response(
            200,
            {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {
                    k: rendered["metadata"][k]
                    for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                },
                "spec": {"replicas": workload.replicas},
                "status": {
                    "replicas": rendered["status"].get("replicas", 0),
                    "selector": ",".join(f"{k}={v}" for k, v in sorted(workload.selector.items())),
                },
            },
        )

    def _patch_deployment(self, request: Request, namespace: str, name: str) -> Response:
        """kubectl rollout restart patches spec.template; that starts a rollout."""
        try:
            patch = json.loads(request.body or b"{}")
        except ValueError:
            raise ApiError(status_response(400, "BadRequest", "invalid patch body")) from None
        spec = patch.get("spec", {}) if isinstance(patch, dict) else {}
        if "replicas" in spec:
            self.state.scale("Deployment", namespace, name, int(spec["replicas"]))
        if "template" in spec:
            self.state.rollout(namespace, name)
        deployment = self.state.get_workload("Deployment", namespace, name)
        return Response(200, self.state.render(deployment))
