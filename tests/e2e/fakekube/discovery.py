"""API discovery: the legacy documents (/api, /api/v1, /apis, /apis/apps/v1) and the aggregated
APIGroupDiscoveryList (apidiscovery.k8s.io v2 and v2beta1) that kubectl >= 1.26 asks for first."""

from __future__ import annotations

import dataclasses
from typing import Optional

from .render import Json

READ_WRITE = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclasses.dataclass(frozen=True)
class Subresource:
    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = "v1"


@dataclasses.dataclass(frozen=True)
class Resource:
    name: str
    singular: str
    kind: str
    group: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = tuple(READ_WRITE)
    subresources: tuple[Subresource, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"

    @property
    def qualified(self) -> str:
        """The name in error messages: pods, deployments.apps."""
        return f"{self.name}.{self.group}" if self.group else self.name


_SCALE = Subresource("scale", "Scale", ("get", "patch", "update"), group="autoscaling")

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "namespaces",
        "namespace",
        "Namespace",
        "",
        False,
        ("ns",),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        subresources=(Subresource("status", "Namespace", ("get", "patch", "update")),),
    ),
    Resource(
        "pods",
        "pod",
        "Pod",
        "",
        True,
        ("po",),
        ("all",),
        subresources=(
            Subresource("exec", "PodExecOptions", ("create", "get")),
            Subresource("log", "Pod", ("get",)),
            Subresource("portforward", "PodPortForwardOptions", ("create", "get")),
            Subresource("status", "Pod", ("get", "patch", "update")),
        ),
    ),
    Resource(
        "services",
        "service",
        "Service",
        "",
        True,
        ("svc",),
        ("all",),
        subresources=(
            Subresource(
                "proxy", "ServiceProxyOptions", ("create", "delete", "get", "patch", "update")
            ),
            Subresource("status", "Service", ("get", "patch", "update")),
        ),
    ),
    Resource(
        "deployments",
        "deployment",
        "Deployment",
        "apps",
        True,
        ("deploy",),
        ("all",),
        subresources=(
            _SCALE,
            Subresource("status", "Deployment", ("get", "patch", "update"), "apps"),
        ),
    ),
    Resource(
        "replicasets",
        "replicaset",
        "ReplicaSet",
        "apps",
        True,
        ("rs",),
        ("all",),
        subresources=(
            _SCALE,
            Subresource("status", "ReplicaSet", ("get", "patch", "update"), "apps"),
        ),
    ),
    Resource(
        "statefulsets",
        "statefulset",
        "StatefulSet",
        "apps",
        True,
        ("sts",),
        ("all",),
        subresources=(
            _SCALE,
            Subresource("status", "StatefulSet", ("get", "patch", "update"), "apps"),
        ),
    ),
)

GROUPS = ("", "apps")


def find_resource(group: str, name: str) -> Optional[Resource]:
    for resource in RESOURCES:
        if resource.group == group and resource.name == name:
            return resource
    return None


def _in_group(group: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group]


# --- legacy ---------------------------------------------------------------------------------


def api_versions(server_address: str) -> Json:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_json(group: str) -> Json:
    version = {"groupVersion": f"{group}/v1", "version": "v1"}
    return {"name": group, "versions": [version], "preferredVersion": version}


def api_group_list() -> Json:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_json(g) for g in GROUPS if g],
    }


def api_group(group: str) -> Optional[Json]:
    if group not in GROUPS or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_json(group)}


def api_resource_list(group: str) -> Json:
    resources = []
    for resource in _in_group(group):
        entry: Json = {
            "name": resource.name,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(resource.verbs),
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        if resource.categories:
            entry["categories"] = list(resource.categories)
        resources.append(entry)
        for sub in resource.subresources:
            sub_entry: Json = {
                "name": f"{resource.name}/{sub.name}",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": sub.kind,
                "verbs": list(sub.verbs),
            }
            if sub.group and sub.group != group:
                sub_entry["group"] = sub.group
                sub_entry["version"] = sub.version
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/v1" if group else "v1",
        "resources": resources,
    }


# --- aggregated -----------------------------------------------------------------------------

AGGREGATED_VERSIONS = ("v2", "v2beta1")


def aggregated_content_type(version: str) -> str:
    return f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"


def negotiate_aggregated(accept: str) -> Optional[str]:
    """The aggregated discovery version the client accepts first, or None for legacy JSON.

    kubectl 1.27-1.29 send v2beta1, 1.30+ send v2 then v2beta1, always with application/json
    last as the legacy fallback."""
    for media_range in accept.split(","):
        params = {}
        parts = [p.strip() for p in media_range.split(";")]
        if parts[0] not in ("application/json", "*/*"):
            continue
        for param in parts[1:]:
            if "=" in param:
                key, value = param.split("=", 1)
                params[key.strip()] = value.strip()
        if not params:
            return None
        if (
            params.get("g") == "apidiscovery.k8s.io"
            and params.get("as") == "APIGroupDiscoveryList"
            and params.get("v") in AGGREGATED_VERSIONS
        ):
            return params["v"]
    return None


def _response_kind(group: str, kind: str, version: str = "v1") -> Json:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(resource: Resource) -> Json:
    entry: Json = {
        "resource": resource.name,
        "responseKind": _response_kind(resource.group, resource.kind),
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if resource.subresources:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": _response_kind(sub.group, sub.kind, sub.version),
                "verbs": list(sub.verbs),
            }
            for sub in resource.subresources
        ]
    return entry


def aggregated_discovery(version: str, named_groups: bool) -> Json:
    """/api (named_groups=False: the core group) or /apis (the named groups)."""
    items = []
    for group in GROUPS:
        if bool(group) != named_groups:
            continue
        metadata: Json = {"creationTimestamp": None}
        if group:
            metadata = {"name": group, **metadata}
        items.append(
            {
                "metadata": metadata,
                "versions": [
                    {
                        "version": "v1",
                        "resources": [_aggregated_resource(r) for r in _in_group(group)],
                        "freshness": "Current",
                    }
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }
