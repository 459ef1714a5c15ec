"""port_allocator.py's promises: ports below the kernel's ephemeral range, never the same port to
two processes (even when they race for the same ones), and never a port someone listens on."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HARNESS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HARNESS)

from port_allocator import (allocatable_range, release_ports, reserve_consecutive_ports,  # noqa: E402
                            reserve_ports)

PYTHON = "/usr/bin/python3"

# A process that reserves ports from a given start once told to go, prints them, and holds them
# until its stdin closes.
RESERVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from port_allocator import reserve_consecutive_ports, reserve_ports
start, count, block = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
assert sys.stdin.readline() == "go\\n"
ports = reserve_ports(count, start=start)
block_ports = reserve_consecutive_ports(block, start=start)
print(json.dumps({"ports": ports, "block": list(block_ports)}), flush=True)
sys.stdin.read()
"""

# A process listening on ADDRESS:PORT (no allocator involved), until its stdin closes.
LISTENER = """
import socket, sys
address, port = sys.argv[1], int(sys.argv[2])
listener = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
listener.bind((address, port))
listener.listen()
print("listening", flush=True)
sys.stdin.read()
"""


def ephemeral_low() -> int:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
        return int(ranges.read().split()[0])


def test_ports_are_below_the_ephemeral_range():
    ports = allocatable_range()
    assert ports.stop == ephemeral_low()
    assert 1024 <= ports.start < ports.stop
    reserved = reserve_ports(20) + list(reserve_consecutive_ports(5))
    assert all(ports.start <= port < ephemeral_low() for port in reserved), reserved
    release_ports(reserved)


def test_a_consecutive_block_is_adjacent_and_locked_like_single_ports():
    block = reserve_consecutive_ports(4)
    assert len(block) == 4 and block.stop - block.start == 4
    # From the block's first port on, this process is never handed one of its ports again.
    again = reserve_ports(4, start=block.start)
    assert not set(again) & set(block), (list(block), again)
    release_ports(list(block) + again)


def test_processes_racing_for_the_same_ports_never_get_the_same_one():
    start = allocatable_range().start + len(allocatable_range()) // 2
    count, block = 25, 5
    children = [
        subprocess.Popen([PYTHON, "-c", RESERVER, HARNESS, str(start), str(count), str(block)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    try:
        for child in children:
            assert child.stdout.readline() == "ready\n"
        for child in children:  # all at once: they compete for the ports from `start` on
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [json.loads(child.stdout.readline()) for child in children]
        handed = [port for result in results for port in result["ports"] + result["block"]]
        assert len(handed) == len(set(handed)) == len(children) * (count + block), results
        for result in results:
            assert len(result["ports"]) == count
            assert result["block"] == list(range(result["block"][0], result["block"][0] + block))
        # While they live, this process is not handed their ports either.
        mine = reserve_ports(len(handed), start=start)
        assert not set(mine) & set(handed)
        release_ports(mine)
    finally:
        for child in children:
            child.stdin.close()
            child.wait(10)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "0.0.0.0"])
def test_a_port_another_process_listens_on_is_skipped(address):
    (port,) = reserve_ports(1)
    listener = subprocess.Popen([PYTHON, "-c", LISTENER, address, str(port)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline() == "listening\n"
        # Unlocked, but listened on: the allocator must see the listener itself.
        release_ports([port])
        (single,) = reserve_ports(1, start=port)
        assert single != port
        block = reserve_consecutive_ports(3, start=port - 1)
        assert port not in block, (port, list(block))
        release_ports([single, *block])
    finally:
        listener.stdin.close()
        listener.wait(10)
