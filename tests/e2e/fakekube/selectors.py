"""Label and field selectors, with the syntax the API server accepts."""

from __future__ import annotations

import re
from typing import Optional


class SelectorError(ValueError):
    pass


_REQUIREMENT = re.compile(
    r"\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|!=|=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[A-Za-z0-9_.-]*))?\s*$"
)


def _split_requirements(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def label_selector_matches(selector: Optional[str], labels: dict[str, str]) -> bool:
    """Kubernetes label selector syntax: a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a."""
    if not selector:
        return True
    for requirement in _split_requirements(selector):
        match = _REQUIREMENT.match(requirement)
        if not match:
            raise SelectorError(f"unable to parse requirement: {requirement!r}")
        key, op, value = match.group("key"), match.group("op"), match.group("value")
        if match.group("neg"):
            if op:
                raise SelectorError(f"unable to parse requirement: {requirement!r}")
            if key in labels:
                return False
            continue
        if not op:
            if key not in labels:
                return False
            continue
        op = op.strip()
        if op in ("=", "=="):
            if labels.get(key) != value:
                return False
        elif op == "!=":
            if labels.get(key) == value:
                return False
        else:
            values = {v.strip() for v in value.strip("()").split(",") if v.strip()}
            if op == "in" and labels.get(key) not in values:
                return False
            if op == "notin" and key in labels and labels[key] in values:
                return False
    return True


def selector_string(selector: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(selector.items()))


def parse_field_selector(text: str) -> dict[str, tuple[str, str]]:
    fields: dict[str, tuple[str, str]] = {}
    for requirement in filter(None, (r.strip() for r in text.split(","))):
        for op in ("!=", "==", "="):
            if op in requirement:
                key, value = requirement.split(op, 1)
                fields[key.strip()] = ("!=" if op == "!=" else "=", value.strip())
                break
        else:
            raise SelectorError(f'invalid selector: "{requirement}"')
    return fields


FIELDS = {
    "metadata.name": lambda obj: obj["metadata"]["name"],
    "metadata.namespace": lambda obj: obj["metadata"].get("namespace", ""),
    "status.phase": lambda obj: obj.get("status", {}).get("phase", ""),
    "spec.nodeName": lambda obj: obj.get("spec", {}).get("nodeName", ""),
}


def field_selector_matches(fields: dict[str, tuple[str, str]], obj: dict) -> bool:
    for key, (op, value) in fields.items():
        actual = FIELDS[key](obj)
        if (actual == value) != (op == "="):
            return False
    return True
