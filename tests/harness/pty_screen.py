"""A program on a pseudo-terminal, and a small model of the screen it draws.

`PtyProgram` runs argv as the session leader of a new pty (so the pty is its controlling
terminal: Ctrl-C reaches it as SIGINT and a resize as SIGWINCH), reads everything it writes on a
thread, and feeds `Screen`, which understands what a full-screen program like `pfctl watch`
sends: cursor home and positioning, erase line / below / screen, the alternate screen and cursor
visibility modes, line feeds (counting any that scroll), and SGR colours (ignored). Tests wait on
the screen's content with `wait_for`, never on sleeps.
"""
from __future__ import annotations

import codecs
import fcntl
import os
import re
import signal
import struct
import termios
import threading
import time
from typing import Callable, List, Optional, Sequence


class Screen:
    def __init__(self, columns: int, rows: int):
        self.columns = columns
        self.rows = rows
        self.lines = [[" "] * columns for _ in range(rows)]
        self.row = 0
        self.column = 0
        self.alternate = False
        self.cursor_visible = True
        self.scrolls = 0  # line feeds on the last row: what an in-place redraw never does
        self.alternate_entered = 0
        self.alternate_left = 0

    def resize(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.lines = [[" "] * columns for _ in range(rows)]
        self.row = min(self.row, rows - 1)
        self.column = min(self.column, columns - 1)

    def text(self) -> List[str]:
        return ["".join(line).rstrip() for line in self.lines]

    def _put(self, char: str) -> None:
        if self.column >= self.columns:
            self.column = 0
            self._line_feed()
        self.lines[self.row][self.column] = char
        self.column += 1

    def _line_feed(self) -> None:
        if self.row + 1 < self.rows:
            self.row += 1
            return
        self.scrolls += 1
        self.lines.pop(0)
        self.lines.append([" "] * self.columns)

    def _erase(self, row: int, start: int) -> None:
        for column in range(start, self.columns):
            self.lines[row][column] = " "

    def _csi(self, private: str, params: str, final: str) -> None:
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if private == "?" and final in "hl":
            on = final == "h"
            for number in numbers:
                if number == 1049:
                    self.alternate = on
                    if on:
                        self.alternate_entered += 1
                    else:
                        self.alternate_left += 1
                elif number == 25:
                    self.cursor_visible = on
            return
        if final in "Hf":
            row = (numbers[0] if numbers and numbers[0] else 1) - 1
            column = (numbers[1] if len(numbers) > 1 and numbers[1] else 1) - 1
            self.row, self.column = min(row, self.rows - 1), min(column, self.columns - 1)
        elif final == "K":
            self._erase(self.row, min(self.column, self.columns))
        elif final == "J":
            mode = numbers[0] if numbers else 0
            if mode == 2:
                for row in range(self.rows):
                    self._erase(row, 0)
            else:
                self._erase(self.row, min(self.column, self.columns))
                for row in range(self.row + 1, self.rows):
                    self._erase(row, 0)
        # "m" (colours) and anything else: no effect on the text

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\x1b":
                match = re.compile(r"\x1b\[([?]?)([0-9;]*)([@-~])").match(text, i)
                if match:
                    self._csi(match.group(1), match.group(2), match.group(3))
                    i = match.end()
                    continue
                i += 2  # a two-byte escape we do not model
                continue
            if char == "\r":
                self.column = 0
            elif char == "\n":
                self._line_feed()
            elif char >= " ":
                self._put(char)
            i += 1


class PtyProgram:
    def __init__(self, argv: Sequence[str], env: dict, columns: int = 120, rows: int = 30):
        self.screen = Screen(columns, rows)
        self.raw = bytearray()
        self.condition = threading.Condition()
        self.closed = False
        self.changed_at = time.monotonic()
        pid, fd = os.forkpty()
        if pid == 0:  # the child: exec at once (the parent has threads)
            try:
                os.execve(argv[0], list(argv), env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.set_size(columns, rows, signal_child=False)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def set_size(self, columns: int, rows: int, signal_child: bool = True) -> None:
        """Resizes the terminal; the kernel sends the program SIGWINCH."""
        with self.condition:
            self.screen.resize(columns, rows)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def termios(self) -> list:
        """The terminal's settings (the pty pair shares them)."""
        return termios.tcgetattr(self.fd)

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO once the child side is closed
                data = b""
            with self.condition:
                if not data:
                    self.closed = True
                    self.condition.notify_all()
                    return
                self.raw += data
                self.screen.feed(decoder.decode(data))
                self.changed_at = time.monotonic()
                self.condition.notify_all()

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_for(self, predicate: Callable[[Screen], bool], timeout: float = 20.0,
                 what: str = "") -> float:
        """Waits until `predicate(screen)` holds; returns the monotonic time of the output that
        made it hold."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate(self.screen):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.closed and not predicate(self.screen)):
                    raise AssertionError(
                        f"screen never showed {what or predicate}; it shows:\n" +
                        "\n".join(self.screen.text()))
                self.condition.wait(remaining)
            return self.changed_at

    def wait_text(self, pattern: str, timeout: float = 20.0) -> float:
        regex = re.compile(pattern, re.M)
        return self.wait_for(lambda s: regex.search("\n".join(s.text())) is not None, timeout,
                             what=pattern)

    def wait_exit(self, timeout: float = 20.0) -> int:
        """The program's exit code (negative: the signal that killed it). Waits for the pty to
        close (the program and everything it started let go of it), then reaps it."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not self.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("the program did not exit")
                self.condition.wait(remaining)
        _, status = os.waitpid(self.pid, 0)
        self.reader.join(timeout=5)
        return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """Kills the program if it is still there, and closes the pty."""
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass

    def output(self) -> bytes:
        with self.condition:
            return bytes(self.raw)
