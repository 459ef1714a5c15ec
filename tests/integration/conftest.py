import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))

from pfd_harness import PfdInstance  # noqa: E402
from port_allocator import release_ports, reserve_ports  # noqa: E402

PORT_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "port_server.py")
PYTHON = "/usr/bin/python3"


def command_forward(name: str, port: int, *extra: str, backoff: str = "") -> str:
    """YAML for a command forward running port_server.py on `port`."""
    argv = ", ".join(f'"{a}"' for a in [PYTHON, PORT_SERVER, str(port), "--name", name, *extra])
    lines = [f"  - name: {name}", f"    command: [{argv}]", f'    ports: ["{port}"]']
    if backoff:
        lines.append(f"    backoff: {backoff}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def make_pfd():
    """make_pfd(config_text) -> a started PfdInstance, stopped (and checked for leftover
    children) after the test."""
    instances = []

    def factory(config_text: str, start: bool = True, **kwargs) -> PfdInstance:
        instance = PfdInstance(config_text, **kwargs)
        instances.append(instance)
        if start:
            instance.start()
        return instance

    yield factory
    leftovers = []
    for instance in instances:
        leftovers += instance.cleanup()
    assert not leftovers, f"children outlived pfd: {leftovers}"


@pytest.fixture
def ports():
    """Four local ports no other process is handed (tests/harness/port_allocator.py), given back
    after the test."""
    reserved = reserve_ports(4)
    yield reserved
    release_ports(reserved)
