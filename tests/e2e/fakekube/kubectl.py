"""Finding a kubectl binary and running it with its output read line by line.

`kubectl` on PATH here is Google Cloud SDK's dispatcher: it asks the server's /version (with a
5 s timeout) and then runs the kubectl.1.MINOR beside it, or its own built-in 1.32 when the
server's minor has no binary or /version fails. kubectl.1.27 ... kubectl.1.33 can be run directly.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from typing import Iterable, Optional, Pattern, Union

ENV_VAR = "PFD_KUBECTL"

_VERSION = re.compile(r"^1\.\d+$")


class KubectlNotFound(RuntimeError):
    pass


def _dispatcher() -> str:
    path = shutil.which("kubectl")
    if path is None:
        raise KubectlNotFound("kubectl is not on PATH; install it or set PFD_KUBECTL to a binary")
    return path


def kubectl_dir() -> str:
    """The directory that holds kubectl.1.27 ... kubectl.1.33 (beside the dispatcher)."""
    return os.path.dirname(os.path.realpath(_dispatcher()))


def available_versions() -> list[str]:
    """The minor versions with a kubectl.1.N binary, oldest first ("1.27", ...)."""
    try:
        names = os.listdir(kubectl_dir())
    except (OSError, KubectlNotFound):
        return []
    prefix = "kubectl."
    versions = [n[len(prefix) :] for n in names if n.startswith(prefix)]
    versions = [v for v in versions if _VERSION.match(v)]
    return sorted(versions, key=lambda v: int(v.split(".")[1]))


def kubectl_path(version: Optional[str] = None) -> str:
    """The kubectl to run: `version` ("1.27", "default" or a path), else $PFD_KUBECTL (same
    forms), else kubectl on PATH."""
    choice = version or os.environ.get(ENV_VAR) or "default"
    if choice == "default":
        return _dispatcher()
    if os.sep in choice:
        if not os.access(choice, os.X_OK):
            raise KubectlNotFound(f"{choice} is not an executable kubectl (from {ENV_VAR}?)")
        return choice
    if not _VERSION.match(choice):
        raise KubectlNotFound(
            f"cannot read kubectl version {choice!r}: use 1.27, default, or a path to a binary"
        )
    path = os.path.join(kubectl_dir(), f"kubectl.{choice}")
    if not os.access(path, os.X_OK):
        raise KubectlNotFound(
            f"no kubectl {choice} at {path}; available: {', '.join(available_versions()) or 'none'}"
        )
    return path


def write_counting_kubectl(directory: str, log_path: str, real: Optional[str] = None) -> str:
    """A kubectl (directory/kubectl-counted) that appends "<epoch seconds> <args>" to log_path,
    then execs the real one (`real`, else kubectl_path()): a test or a bench counts the kubectl
    runs pfd starts, each logged as it starts, instead of sampling processes."""
    path = os.path.join(directory, "kubectl-counted")
    with open(path, "w") as script:
        script.write("#!/bin/sh\n"
                     f"printf '%s %s\\n' \"$(date +%s.%N)\" \"$*\" >> '{log_path}'\n"
                     f"exec '{real or kubectl_path()}' \"$@\"\n")
    os.chmod(path, os.stat(path).st_mode | 0o100)
    return path


def counted_kubectl_runs(log_path: str, begin: float, end: float) -> list[str]:
    """The arguments of the runs write_counting_kubectl's wrapper logged in [begin, end)."""
    with open(log_path) as log:
        runs = [line.rstrip("\n").split(" ", 1) for line in log if line.strip()]
    return [(run[1] if len(run) > 1 else "") for run in runs if begin <= float(run[0]) < end]


def kubectl_available() -> bool:
    """Whether kubectl_path() finds one: the suites that need it skip without, unless
    PFD_REQUIRE_KUBECTL=1 (CI) makes that an error."""
    try:
        kubectl_path()
        return True
    except KubectlNotFound:
        return False


class Line(str):
    """A line of output; .stream says where it came from ("stdout" or "stderr")."""

    stream: str

    def __new__(cls, text: str, stream: str) -> "Line":
        line = super().__new__(cls, text)
        line.stream = stream
        return line


class ProcessExited(AssertionError):
    pass


Matcher = Union[str, Pattern[str]]


def _matches(matcher: Matcher, line: str) -> bool:
    if isinstance(matcher, str):
        return matcher in line
    return matcher.search(line) is not None


class KubectlProcess:
    """A running kubectl whose stdout and stderr lines arrive on one queue, in order per stream.

    wait_for(...) blocks on that queue (with a timeout), so tests synchronise on kubectl's own
    words; stop() ends it by PID (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        args: Iterable[str],
        env: Optional[dict] = None,
        kubectl: Optional[str] = None,
    ) -> None:
        self.argv = [kubectl or kubectl_path(), *args]
        self.lines: list[Line] = []
        self._queue: "queue.Queue[Optional[Line]]" = queue.Queue()
        self._open_streams = 2
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        self.pid = self.process.pid
        for name, pipe in (("stdout", self.process.stdout), ("stderr", self.process.stderr)):
            threading.Thread(
                target=self._read, args=(pipe, name), name=f"kubectl-{self.pid}-{name}", daemon=True
            ).start()

    def _read(self, pipe, name: str) -> None:
        for text in pipe:
            self._queue.put(Line(text.rstrip("\n"), name))
        pipe.close()
        self._queue.put(None)

    def _next(self, deadline: float) -> Optional[Line]:
        """The next line, or None when both streams ended; raises TimeoutError at deadline."""
        while True:
            if self._open_streams == 0:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError from None
            if item is None:
                self._open_streams -= 1
                continue
            self.lines.append(item)
            return item

    def wait_for(
        self, matcher: Matcher, timeout: float = 30.0, stream: Optional[str] = None
    ) -> Line:
        """The first new line containing `matcher` (a substring or a compiled regex)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._next(deadline)
            except TimeoutError:
                raise TimeoutError(
                    f"kubectl printed no line matching {matcher!r} within {timeout}s; "
                    f"output so far:\n{self.output()}"
                ) from None
            if line is None:
                raise ProcessExited(
                    f"kubectl exited ({self.process.wait()}) before printing {matcher!r}; "
                    f"output:\n{self.output()}"
                )
            if (stream is None or line.stream == stream) and _matches(matcher, line):
                return line

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Reads the remaining output and returns the exit code."""
        deadline = time.monotonic() + timeout
        try:
            while self._next(deadline) is not None:
                pass
            return self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except (TimeoutError, subprocess.TimeoutExpired):
            raise TimeoutError(
                f"kubectl still running after {timeout}s; output so far:\n{self.output()}"
            ) from None

    def drain(self) -> list[Line]:
        """Lines already printed and not yet read, without waiting."""
        drained = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return drained
            if item is None:
                self._open_streams -= 1
                continue
            self.lines.append(item)
            drained.append(item)

    def output(self) -> str:
        self.drain()
        return "\n".join(f"[{line.stream}] {line}" for line in self.lines)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM by PID, then SIGKILL; returns the exit code."""
        if self.process.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        return self.process.wait()

    def __enter__(self) -> "KubectlProcess":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def run_kubectl(
    args: Iterable[str],
    env: Optional[dict] = None,
    kubectl: Optional[str] = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess:
    """Runs kubectl to completion and captures its output."""
    return subprocess.run(
        [kubectl or kubectl_path(), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
