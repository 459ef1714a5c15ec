"""Checks config/pfd.schema.json against the C++ config parser and the shipped example.

Run through ctest (`ctest -R config_schema`), which sets:
  PFD_CONFIG_KEYS_TOOL  the print_config_keys binary (prints the key paths the parser accepts)
  PFD_SCHEMA            config/pfd.schema.json
  PFD_EXAMPLE_CONFIG    config/example.yaml
Run directly with /usr/bin/python3 -m pytest: the schema and example default to the repository's;
the key comparison needs PFD_CONFIG_KEYS_TOOL and fails without it.
"""

import json
import os
import pathlib
import subprocess

import jsonschema
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
SCHEMA_PATH = pathlib.Path(os.environ.get("PFD_SCHEMA", REPO / "config" / "pfd.schema.json"))
EXAMPLE_PATH = pathlib.Path(
    os.environ.get("PFD_EXAMPLE_CONFIG", REPO / "config" / "example.yaml"))


@pytest.fixture(scope="module")
def schema():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def validator(schema):
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def example():
    with open(EXAMPLE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(schema, node):
    """Follows local "$ref"s ("#/definitions/x") until a schema without one."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are supported, got {ref}"
        target = schema
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def schema_key_paths(schema, node=None, prefix=""):
    """Every property path the schema describes, in the parser's notation:
    "defaults.backoff.initial", "forwards[].readiness.httpGet.httpHeaders[].name"."""
    node = resolve(schema, schema if node is None else node)
    if not isinstance(node, dict):
        return set()  # `false` forbids a key (e.g. kubectl-only keys on a command forward)
    paths = set()
    for key, sub in node.get("properties", {}).items():
        if sub is False:
            continue
        path = f"{prefix}.{key}" if prefix else key
        paths.add(path)
        paths |= schema_key_paths(schema, sub, path)
    items = node.get("items")
    if isinstance(items, dict):
        paths |= schema_key_paths(schema, items, f"{prefix}[]")
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(combinator, []):
            paths |= schema_key_paths(schema, sub, prefix)
    for branch in ("then", "else"):
        if branch in node:
            paths |= schema_key_paths(schema, node[branch], prefix)
    return paths


def parser_key_paths():
    tool = os.environ.get("PFD_CONFIG_KEYS_TOOL")
    if not tool:
        pytest.fail("PFD_CONFIG_KEYS_TOOL is not set: run this test through ctest "
                    "(ctest -R config_schema), or point it at the built print_config_keys")
    output = subprocess.run([tool], check=True, capture_output=True, text=True, timeout=30).stdout
    return set(line for line in output.splitlines() if line)


def object_schemas(schema, node, where="#"):
    """Yields (location, subschema) for every schema in the tree that lists properties."""
    if isinstance(node, dict):
        if "properties" in node and node.get("type") == "object":
            yield where, node
        for key, value in node.items():
            yield from object_schemas(schema, value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from object_schemas(schema, value, f"{where}/{index}")


def test_schema_is_a_valid_draft7_schema(schema):
    jsonschema.Draft7Validator.check_schema(schema)


def test_example_config_validates_against_the_schema(validator, example):
    errors = sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_schema_describes_exactly_the_keys_the_parser_accepts(schema):
    parser = parser_key_paths()
    described = schema_key_paths(schema)
    assert parser, "print_config_keys printed nothing"
    missing = sorted(parser - described)
    extra = sorted(described - parser)
    assert not missing, (
        "keys the C++ parser accepts but config/pfd.schema.json does not describe "
        f"(add them to the schema): {missing}")
    assert not extra, (
        "keys config/pfd.schema.json describes but the C++ parser refuses "
        f"(remove them, or declare them in daemon/config/key_schema.cc): {extra}")


def test_every_object_schema_refuses_unknown_keys(schema):
    # Editors flag a typo only when the object closes itself to other keys, as the parser does.
    open_objects = [where for where, node in object_schemas(schema, schema)
                    if node.get("additionalProperties") is not False]
    assert not open_objects, f"object schemas without additionalProperties: false: {open_objects}"


def test_every_property_has_a_description(schema):
    undocumented = []
    for where, node in object_schemas(schema, schema):
        for key, sub in node["properties"].items():
            if not resolve(schema, sub).get("description"):
                undocumented.append(f"{where}/properties/{key}")
    assert not undocumented, f"properties without a description: {undocumented}"


INSTALLED_SCHEMA = "/usr/share/doc/pfd/pfd.schema.json"


def test_example_declares_the_schema_for_yaml_language_server():
    # The example names the schema where the package installs it (packaging test_install_tree
    # checks that it is there), so that a copy of the example in ~/.config/pfd still finds it.
    first_line = EXAMPLE_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    declared = first_line.split("$schema=", 1)[1].strip()
    assert declared == INSTALLED_SCHEMA
    assert pathlib.Path(declared).name == SCHEMA_PATH.name


# Documents the parser refuses; the schema must refuse them too, so an editor warns as pfd would.
def with_forward(**fields):
    forward = {"name": "web", "target": "deployment/web", "ports": ["8080:80"]}
    forward.update(fields)
    return {"forwards": [{k: v for k, v in forward.items() if v is not None}]}


REFUSED = {
    "missing forwards": {"reloadOnChange": True},
    "unknown top-level key": {"forwards": [], "reloadOnChnage": True},
    "unknown forward key": with_forward(namspace="shop"),
    "bad name": with_forward(name="Web_1"),
    "bare number duration": with_forward(startTimeout=30),
    "duration without unit": with_forward(startTimeout="30"),
    "target and command": with_forward(command=["ssh", "bastion"]),
    "neither target nor command": with_forward(target=None),
    "empty command": with_forward(target=None, command=[]),
    "kubectl-only key on a command": with_forward(target=None, command=["ssh"], namespace="x"),
    "remote port on a command": with_forward(target=None, command=["ssh"], ports=["5432:5432"]),
    "random local port": with_forward(ports=[":8000"]),
    "port out of range": with_forward(ports=[70000]),
    "empty ports": with_forward(ports=[]),
    "unknown target kind": with_forward(target="cronjob/x"),
    "enabled as a string": with_forward(enabled="yes"),
    "probe with two handlers": with_forward(readiness={"httpGet": {}, "tcpSocket": {}}),
    "probe without handler": with_forward(readiness={"periodSeconds": 5}),
    "bad scheme": with_forward(readiness={"httpGet": {"scheme": "http"}}),
    "relative path": with_forward(readiness={"httpGet": {"path": "healthz"}}),
    "zero period": with_forward(readiness={"tcpSocket": {}, "periodSeconds": 0}),
    "jitter of 1": with_forward(backoff={"jitter": 1}),
    "multiplier below 1": with_forward(backoff={"multiplier": 0.5}),
    "unknown backoff key": with_forward(backoff={"maximum": "1m"}),
    "holdPort as a string": with_forward(holdPort="yes"),
    "holdTimeout without unit": with_forward(holdTimeout="10"),
    "drainTimeout as a number": with_forward(drainTimeout=30),
    "idleTimeout without unit": with_forward(idleTimeout="15"),
    "replayBuffer with a decimal suffix": with_forward(replayBuffer="64K"),
    "replayBuffer with a fraction": with_forward(replayBuffer="1.5Mi"),
    "replayBuffer in quoted bytes": with_forward(replayBuffer="65536"),
    "replayBuffer negative": with_forward(replayBuffer=-1),
    "replayBuffer over 16Mi in bytes": with_forward(replayBuffer=16777217),
    "replayBuffer over 16Mi in Ki": with_forward(replayBuffer="16385Ki"),
    "replayBuffer over 16Mi in Mi": with_forward(replayBuffer="17Mi"),
    "unknown start": with_forward(start="ondemand"),
    "onDemand without held ports": with_forward(start="onDemand", holdPort=False),
    "onDemand without held ports in defaults": {
        "defaults": {"start": "onDemand", "holdPort": False}, "forwards": []},
    "holdPort on a command": with_forward(target=None, command=["ssh"], holdPort=True),
    "onDemand on a command": with_forward(target=None, command=["ssh"], start="onDemand"),
    "holdTimeout on a command": with_forward(target=None, command=["ssh"], holdTimeout="1s"),
    "replayBuffer on a command": with_forward(target=None, command=["ssh"], replayBuffer=0),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_schema_refuses_what_the_parser_refuses(validator, name):
    assert not validator.is_valid(REFUSED[name]), f"the schema accepts: {REFUSED[name]}"


def test_schema_accepts_a_minimal_and_a_command_forward(validator):
    assert validator.is_valid({"forwards": []})
    assert validator.is_valid(with_forward(ports=[8080, "9090", "7070:http"], readiness=None))
    command = with_forward(target=None, command=["ssh", "-N", "bastion"], ports=["5432"],
                           address="localhost", readiness={"tcpSocket": None})
    assert validator.is_valid(command), list(validator.iter_errors(command))


@pytest.mark.parametrize("size", [0, 65536, 16777216, "0Ki", "64Ki", "16384Ki", "1Mi", "16Mi"])
def test_schema_accepts_the_replay_buffer_sizes_the_parser_accepts(validator, size):
    assert validator.is_valid(with_forward(replayBuffer=size))


def test_schema_accepts_held_port_settings_and_command_forwards_that_hold_nothing(validator):
    held = with_forward(holdPort=True, holdTimeout="0s", drainTimeout="0s", replayBuffer="1Mi",
                        start="onDemand", idleTimeout="0s")
    assert validator.is_valid(held), list(validator.iter_errors(held))
    defaults = {"defaults": {"holdPort": False, "start": "always", "idleTimeout": "5m"},
                "forwards": []}
    assert validator.is_valid(defaults), list(validator.iter_errors(defaults))
    command = with_forward(target=None, command=["ssh"], ports=["5432"], holdPort=False,
                           start="always")
    assert validator.is_valid(command), list(validator.iter_errors(command))

