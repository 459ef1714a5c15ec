"""Where fakekube's listeners get their ports: tests/harness/port_allocator.py.

The API server and the pods' backends close their port and listen on it again (api_down/api_up,
a backend stopped and started, a container restart). A port the kernel picked is in its
ephemeral range, where any process's bind(0) or outgoing connection can take it in between, and
a client's connection to it could even meet itself. The allocator's ports are below that range
and locked against other test processes, so "connection refused" stays true while the port is
closed and the same port is there to listen on again."""

from __future__ import annotations

import os
import sys

_HARNESS = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness")
)
if _HARNESS not in sys.path:
    sys.path.append(_HARNESS)

from port_allocator import release_ports, reserve_ports  # noqa: E402

__all__ = ["release_ports", "reserve_ports"]
