"""A test-owned pfd: starts the real daemon on its own socket and config, drives it with the real
pfctl, and waits on events (log lines, process exits), never on sleeps. (Watchman's
integration/lib/WatchmanInstance.py is the model.)"""
import json
import os
import queue
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from typing import Iterable, List, Optional

DEFAULT_TIMEOUT = 20.0


def binary(env_name: str) -> str:
    path = os.environ.get(env_name)
    if not path:
        raise RuntimeError(f"{env_name} is not set; run the tests through ctest")
    return path


class LineLog:
    """Collects the lines of a stream on a thread; tests wait for a line matching a pattern."""

    def __init__(self, stream, echo_prefix: str = ""):
        self._lines: List[str] = []
        self._cond = threading.Condition()
        self._closed = False
        self._echo_prefix = echo_prefix
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self._lines)

    def lines(self) -> List[str]:
        with self._cond:
            return list(self._lines)

    def wait_for(self, pattern: str, since: int = 0, timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        """The first line at or after index `since` matching `pattern` (a regex)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        index = since
        with self._cond:
            while True:
                while index < len(self._lines):
                    match = regex.search(self._lines[index])
                    index += 1
                    if match:
                        return match
                if self._closed:
                    raise AssertionError(f"stream closed before a line matched {pattern!r}; "
                                         f"last lines:\n" + "\n".join(self._lines[-30:]))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no line matched {pattern!r} within {timeout}s; "
                                         f"last lines:\n" + "\n".join(self._lines[-30:]))
                self._cond.wait(remaining)

    def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._thread.join(timeout)


def wait_for_exit(pid: int, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Waits for any process (not only our child) to be gone, on a pidfd: an event, not a poll."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return wait_for_pidfd(fd, timeout)
    finally:
        os.close(fd)


def wait_for_pidfd(fd: int, timeout: float) -> bool:
    """True once the process behind the pidfd has exited. A pidfd names one process for good: a
    pid can be handed to an unrelated process once its own has gone (pid_max is 32768 here and a
    soak forks thousands), a pidfd cannot."""
    readable, _, _ = select.select([fd], [], [], timeout)
    return bool(readable)


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


class PfdInstance:
    def __init__(self, config_text: str, name: str = "pfd", extra_env: Optional[dict] = None,
                 directory: Optional[str] = None):
        self.pfd_bin = binary("PFD_BIN")
        self.pfctl_bin = binary("PFCTL_BIN")
        # Unix socket paths are limited to 107 bytes: keep the directory short.
        self.dir = directory or tempfile.mkdtemp(prefix=f"{name}-", dir="/tmp")
        self.socket = os.path.join(self.dir, "pfd.sock")
        self.config = os.path.join(self.dir, "forwards.yaml")
        self.env = dict(os.environ, NO_COLOR="1")
        self.env.pop("JOURNAL_STREAM", None)
        self.env.update(extra_env or {})
        self.write_config(config_text)
        self.process: Optional[subprocess.Popen] = None
        self.log: Optional[LineLog] = None
        # Every child pfd reported, pinned by a pidfd when first seen, so that cleanup() never
        # mistakes (or kills) a later process that got the same pid.
        self.seen_children: dict = {}

    def write_config(self, text: str) -> None:
        tmp = self.config + ".tmp"
        with open(tmp, "w") as out:
            out.write(text)
        os.replace(tmp, self.config)

    def command(self, *extra: str, log_level: str = "debug") -> List[str]:
        return [self.pfd_bin, "--config", self.config, "--socket", self.socket,
                "--log-level", log_level, *extra]

    def start(self, *extra: str, wait: bool = True) -> "PfdInstance":
        self.process = subprocess.Popen(self.command(*extra), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        env=self.env)
        self.log = LineLog(self.process.stderr)
        if wait:
            self.log.wait_for(r"serving pfd\.v1\.Control")
        return self

    # pfctl -----------------------------------------------------------------------------------
    def pfctl(self, *args: str, timeout: float = DEFAULT_TIMEOUT,
              env: Optional[dict] = None) -> subprocess.CompletedProcess:
        return subprocess.run([self.pfctl_bin, "--socket", self.socket, *args],
                              capture_output=True, text=True, timeout=timeout,
                              env=env or self.env)

    def pfctl_ok(self, *args: str) -> str:
        result = self.pfctl(*args)
        assert result.returncode == 0, f"pfctl {' '.join(args)} -> {result.returncode}\n" \
                                       f"stdout: {result.stdout}\nstderr: {result.stderr}"
        return result.stdout

    def status(self) -> dict:
        data = json.loads(self.pfctl_ok("status", "-o", "json"))
        for forward in data.get("forwards", []):
            pid = int(forward.get("pid") or 0)
            known = self.seen_children.get(pid)
            if known is not None and wait_for_pidfd(known, 0):
                os.close(known)  # that child is gone: the pid now names a newer one
                del self.seen_children[pid]
                known = None
            if pid and known is None:
                try:
                    self.seen_children[pid] = os.pidfd_open(pid)
                except ProcessLookupError:
                    pass  # gone already
        return data

    def forward(self, name: str) -> dict:
        for forward in self.status().get("forwards", []):
            if forward["name"] == name:
                return forward
        raise AssertionError(f"no forward {name} in pfctl status")

    # events ----------------------------------------------------------------------------------
    def mark(self) -> int:
        return self.log.mark()

    def wait_for_state(self, name: str, state: str, since: int = 0,
                       timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        """Waits for the daemon to log `name: X -> STATE: reason`; returns the match (reason in
        group 'reason')."""
        return self.log.wait_for(rf"\b{re.escape(name)}: \w+ -> {state}: (?P<reason>.*)$",
                                 since=since, timeout=timeout)

    def wait_for_serving(self, name: str, since: int = 0,
                         timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        """Waits for `name` to serve again after `since`: a transition to READY, or a switch to
        another pod (make-before-break keeps the forward READY, so that is not a transition)."""
        return self.log.wait_for(rf"\b{re.escape(name)}: (\w+ -> READY: |switched from pod )",
                                 since=since, timeout=timeout)

    def wait_for_log(self, pattern: str, since: int = 0,
                     timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        return self.log.wait_for(pattern, since=since, timeout=timeout)

    # stopping --------------------------------------------------------------------------------
    def stop(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """SIGTERM, then the exit code; SIGKILL if it does not exit in time (and fail)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("pfd did not exit within %ss of SIGTERM" % timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cleanup(self) -> List[int]:
        """Stops pfd; returns the child pids that were still alive (and kills them)."""
        try:
            self.stop()
        finally:
            self.kill()
            if self.log:
                self.log.wait_closed(5)
        survivors = []
        for pid, fd in self.seen_children.items():
            if not wait_for_pidfd(fd, 5):
                survivors.append(pid)
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            os.close(fd)
        self.seen_children.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
        return survivors


def http_get(port: int, path: str = "/", timeout: float = 5.0) -> str:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return response.read().decode()
