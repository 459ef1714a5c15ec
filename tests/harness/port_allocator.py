"""Local TCP ports for tests that no other process on the machine can be handed.

A port the kernel picked (bind to port 0) and that was closed again can be handed to anyone the
next moment: the kernel gives the same ephemeral range to every bind(0) and every outgoing
connection, and ctest runs tests in parallel. So the ports handed out here are

  - below the kernel's ephemeral range (net.ipv4.ip_local_port_range, read at each call): the
    kernel never picks them on its own;
  - locked, one flock'ed file per port in LOCK_DIR, for as long as this process lives or until
    release_ports(): no other process using this module gets them (nor this one, twice);
  - not bound by anyone when handed out (IPv4 or IPv6, any address): ports that some other
    program listens on, or that still have connections in TIME_WAIT, are skipped.

    reserve_ports(count)              -> [port, ...]       count ports, not necessarily adjacent
    reserve_consecutive_ports(count)  -> range(base, base + count)
    release_ports(ports)              gives them back before this process exits
    allocatable_range()               -> range: the ports this module hands out

A reserved port is free for the test to give to whatever binds it (pfd, kubectl, a child):
nothing holds it but the lock file. Each process starts looking at a random place in the range
and goes on after the last port it handed out, so that parallel tests rarely compete for a lock.
"""
from __future__ import annotations

import errno
import fcntl
import os
import random
import socket
import threading
from typing import Iterable, List, Optional

LOCK_DIR = "/tmp/pfd-test-ports"
EPHEMERAL_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range"

# Ports are taken from at most this far below the ephemeral range, starting no lower than
# PREFERRED_FIRST_PORT (the default range, 32768-60999, gives 20000-32767): clear of the ports
# people give their own servers (8080, 5432...) and of the demo's (15432, 18080-18082).
PREFERRED_FIRST_PORT = 20000
MINIMUM_SPAN = 4096

_lock = threading.Lock()
_held: dict[int, int] = {}  # port -> the descriptor of its flock'ed lock file
_next: Optional[int] = None  # where this process looks next


def allocatable_range() -> range:
    """The ports handed out: up to the low end of the kernel's ephemeral range (exclusive)."""
    with open(EPHEMERAL_RANGE_FILE) as ranges:
        ephemeral_low = int(ranges.read().split()[0])
    first = max(1024, min(PREFERRED_FIRST_PORT, ephemeral_low - MINIMUM_SPAN))
    if ephemeral_low <= first:
        raise RuntimeError(f"{EPHEMERAL_RANGE_FILE} starts at {ephemeral_low}: no unprivileged "
                           "port is below it for tests to use")
    return range(first, ephemeral_low)


def reserve_ports(count: int, *, start: Optional[int] = None) -> List[int]:
    """`count` ports, each locked until release_ports() or the end of this process. `start` is
    where to begin looking (default: where this process left off); the self-test uses it to make
    processes compete for the same ports."""
    return _reserve(count, consecutive=False, start=start)


def reserve_consecutive_ports(count: int, *, start: Optional[int] = None) -> range:
    """`count` adjacent ports, base to base + count - 1, locked like reserve_ports()'s."""
    ports = _reserve(count, consecutive=True, start=start)
    return range(ports[0], ports[-1] + 1)


def release_ports(ports: Iterable[int]) -> None:
    """Unlocks ports this process reserved (others are ignored); they may be handed out again."""
    with _lock:
        for port in ports:
            descriptor = _held.pop(port, None)
            if descriptor is not None:
                os.close(descriptor)


def _reserve(count: int, consecutive: bool, start: Optional[int]) -> List[int]:
    global _next
    candidates = allocatable_range()
    if not 1 <= count <= len(candidates):
        raise ValueError(f"cannot reserve {count} ports out of {candidates}")
    _make_lock_dir()
    with _lock:
        if start is None:
            if _next is None:
                _next = random.SystemRandom().choice(candidates)
            start = _next
        offset = (start - candidates.start) % len(candidates)
        taken: List[int] = []
        # Every port once, and for a block also the ones that wrap past where the search began.
        for step in range(len(candidates) + (count - 1 if consecutive else 0)):
            port = candidates[(offset + step) % len(candidates)]
            if consecutive and taken and port != taken[-1] + 1:  # wrapped around
                _unlock(taken)
                taken = []
            if _try_lock(port):
                taken.append(port)
                if len(taken) == count:
                    _next = port + 1
                    return taken
            elif consecutive:
                _unlock(taken)
                taken = []
        _unlock(taken)
    what = f"{count} consecutive" if consecutive else str(count)
    raise RuntimeError(f"no {what} free ports in {candidates.start}-{candidates.stop - 1}: all "
                       f"are in use or locked by other tests (lock files in {LOCK_DIR})")


def _make_lock_dir() -> None:
    # World-writable and sticky like /tmp, so that every user's tests share the same locks.
    try:
        os.mkdir(LOCK_DIR, 0o1777)
        os.chmod(LOCK_DIR, 0o1777)  # mkdir's mode went through the umask
    except FileExistsError:
        pass


def _open_lock_file(port: int) -> int:
    path = os.path.join(LOCK_DIR, f"{port}.lock")
    # O_CREAT only when the file is missing: with fs.protected_regular, opening another user's
    # file in a sticky directory with O_CREAT is refused even if it exists. Read-only is enough
    # for flock. The files are never removed: removing a lock file races with its next locker.
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        pass
    try:
        return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444)
    except FileExistsError:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


def _try_lock(port: int) -> bool:
    if port in _held:
        return False
    try:
        descriptor = _open_lock_file(port)
    except OSError:
        return False  # e.g. a lock file another user made unreadable: not ours to use
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return False
    if not _unbound(port):
        os.close(descriptor)
        return False
    _held[port] = descriptor
    return True


def _unlock(ports: Iterable[int]) -> None:
    for port in ports:
        os.close(_held.pop(port))


def _unbound(port: int) -> bool:
    """Whether nobody has the port bound, on any address: binding the wildcard address fails if
    any socket has it (listening, connected or in TIME_WAIT), whatever address it is bound to."""
    for family, wildcard in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            probe = socket.socket(family, socket.SOCK_STREAM)
        except OSError as error:
            if family == socket.AF_INET6 and error.errno == errno.EAFNOSUPPORT:
                continue  # no IPv6 on this machine: nothing can be bound there
            raise
        with probe:
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind((wildcard, port))
            except OSError as error:
                if family == socket.AF_INET6 and error.errno == errno.EADDRNOTAVAIL:
                    continue  # IPv6 is disabled: nothing can be bound there either
                return False
    return True
