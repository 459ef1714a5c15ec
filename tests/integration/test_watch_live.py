"""pfctl watch on a real terminal (a pseudo-terminal from the test): the full-screen table is
redrawn in place on the alternate screen, follows state changes, answers its keys, survives a
resize and gives the terminal back as it found it, whether it ends by q, Ctrl-C or SIGTERM.
Every wait is on the screen's content (tests/harness/pty_screen.py)."""
import json
import os
import re
import signal
import subprocess
import termios
import time

from conftest import command_forward
from pfd_harness import LineLog
from pty_screen import PtyProgram

LEAVE = b"\x1b[?25h\x1b[?1049l"


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


def watch(pfd, *args: str, columns: int = 120, rows: int = 20, color: bool = False) -> PtyProgram:
    env = dict(pfd.env, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    if not color:
        env["NO_COLOR"] = "1"
    return PtyProgram([pfd.pfctl_bin, "--socket", pfd.socket, "watch", *args], env,
                      columns=columns, rows=rows)


def row_of(screen, name: str) -> str:
    for line in screen.text():
        if re.match(rf"^[> ] {re.escape(name)}\s", line):
            return line
    return ""


def cells(screen, name: str) -> list:
    """NAME, STATE, POD, AGE, RESTARTS, CONNS, BYTES/S, REASON... of a row, without the marker."""
    return row_of(screen, name)[2:].split()


def two_forwards(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0]), command_forward("db", ports[1])))
    pfd.wait_for_state("web", "READY")
    pfd.wait_for_state("db", "READY")
    return pfd


def test_the_table_is_redrawn_in_place_and_follows_state_changes(make_pfd, ports):
    pfd = two_forwards(make_pfd, ports)
    program = watch(pfd)
    try:
        program.wait_text(r"^> web\s+READY")  # rows in the order of the snapshot
        program.wait_text(r"^  db\s+READY")
        program.wait_text(r"^2 ready$")
        assert program.screen.alternate and not program.screen.cursor_visible
        lflag = program.termios()[3]
        assert not lflag & termios.ICANON and not lflag & termios.ECHO, "keys one at a time"

        for state, action in (("STOPPED", "stop"), ("READY", "start")):
            started = time.monotonic()
            pfd.pfctl_ok(action, "db")
            returned = time.monotonic()
            shown = program.wait_for(lambda s: cells(s, "db")[1:2] == [state],
                                     what=f"db {state}")
            print(f"db {state}: on screen {1000 * (shown - started):.0f} ms after `pfctl "
                  f"{action}` was started, {1000 * (shown - returned):.0f} ms after it returned")
        program.wait_text(r"^2 ready$")
        text = program.screen.text()
        assert text[1].split()[:3] == ["NAME", "STATE", "POD"]
        assert len([line for line in text if row_of(program.screen, "db") == line]) == 1
        assert program.screen.scrolls == 0, "redrawn in place, never scrolled"
        assert program.output().count(b"\x1b[?1049h") == 1
        program.send("q")
        assert program.wait_exit() == 0
    finally:
        program.close()


def test_q_ctrl_c_and_sigterm_give_the_terminal_back(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    for ending in ("q", "ctrl-c", "sigterm"):
        program = watch(pfd)
        try:
            settings = program.termios()
            program.wait_text(r"^> web\s+READY")
            assert program.termios() != settings
            if ending == "q":
                program.send("q")
            elif ending == "ctrl-c":
                program.send("\x03")
            else:
                os.kill(program.pid, signal.SIGTERM)
            assert program.wait_exit() == 0, ending
            output = program.output()
            assert output.endswith(LEAVE), (ending, output[-40:])
            assert not program.screen.alternate and program.screen.cursor_visible
            after = program.termios()
            assert after[3] == settings[3] and after[0] == settings[0], ending  # lflag, iflag
        finally:
            program.close()


def test_keys_select_restart_and_describe(make_pfd, ports):
    pfd = two_forwards(make_pfd, ports)
    db_pid = pfd.forward("db")["pid"]
    program = watch(pfd)
    try:
        program.wait_text(r"^> web\s+READY")
        program.send("\x1b[B")  # down
        program.wait_text(r"^> db\s+READY")
        program.send("\x1b[A")  # up
        program.wait_text(r"^> web\s")
        program.send("\x1b[B")
        program.wait_text(r"^> db\s")
        mark = pfd.mark()
        program.send("r")
        program.wait_text(r"restarted db$")
        pfd.wait_for_state("db", "READY", since=mark)
        program.wait_for(lambda s: cells(s, "db")[1:2] == ["READY"] and
                         cells(s, "db")[4:5] == ["1"], what="db READY, 1 restart")
        assert pfd.forward("db")["pid"] != db_pid
        program.send("\r")
        program.wait_text(r"^Name:\s+db$")
        program.wait_text(r"^describe db ")
        program.send("\x1b[B" * 40)  # scrolls down to the events
        program.wait_text(r"^Events:$")
        program.wait_text(r"^  Normal\s+Ready\s")
        program.send(" ")  # any key: back to the table
        program.wait_text(r"^> db\s+READY")
        program.send("q")
        assert program.wait_exit() == 0
    finally:
        program.close()


def test_a_resize_redraws_for_the_new_size_and_cuts_the_reason(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    program = watch(pfd, columns=120, rows=20)
    try:
        program.wait_text(r"^1 ready$")
        assert program.screen.text().index("1 ready") == 19, "the footer is on the last line"
        program.set_size(40, 8)
        program.wait_for(lambda s: s.text()[7] == "1 ready", what="footer on line 8")
        for line in program.screen.text():
            assert len(line) < 40, line
        assert program.screen.scrolls == 0
        program.send("q")
        assert program.wait_exit() == 0
    finally:
        program.close()


def test_state_is_coloured_unless_no_color(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    for color in (True, False):
        program = watch(pfd, color=color)
        try:
            program.wait_text(r"^> web\s+READY")
            program.send("q")
            assert program.wait_exit() == 0
            assert (b"\x1b[32mREADY" in program.output()) == color
        finally:
            program.close()


def test_events_flag_prints_event_lines_on_a_terminal(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    program = watch(pfd, "--events")
    try:
        program.wait_text(r"^NAME\s+TARGET\s+PORTS\s+STATE")
        program.wait_text(r"^web\s.*READY")
        pfd.pfctl_ok("stop", "web")
        program.wait_text(r"^web\s.*STOPPED")
        assert b"\x1b[?1049h" not in program.output()
        os.kill(program.pid, signal.SIGINT)
        assert program.wait_exit() == 0
    finally:
        program.close()


def test_json_output_is_one_event_per_line(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    watcher = subprocess.Popen([pfd.pfctl_bin, "--socket", pfd.socket, "watch", "-o", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pfd.env)
    try:
        lines = LineLog(watcher.stdout)
        first = json.loads(lines.wait_for(r'^\{.*"initial":true').string)
        assert first["forward"]["name"] == "web"
        assert first["forward"]["state"] == "FORWARD_STATE_READY"
        mark = lines.mark()
        pfd.pfctl_ok("stop", "web")
        change = json.loads(lines.wait_for(r"FORWARD_STATE_STOPPED", since=mark).string)
        assert change["previousState"] == "FORWARD_STATE_READY"
        assert change["reason"] == "stopped by the user"
    finally:
        watcher.terminate()
        watcher.wait(10)


def test_an_unknown_name_is_an_error_on_the_normal_screen(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    program = watch(pfd, "nope")
    try:
        assert program.wait_exit() == 1
        assert b"\x1b[?1049h" not in program.output()
        text = program.output().decode()
        assert "nope" in text and "web" in text
    finally:
        program.close()
