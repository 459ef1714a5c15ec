"""Live reload: pfctl reload, SIGHUP and a change of the file on disk reconcile the running set.

Tests of a reload by pfctl or SIGHUP turn reloadOnChange off: otherwise the file watcher reloads
on its own, and the test could pass without the path it is named for."""
import re
import signal

from conftest import command_forward
from pfd_harness import DEFAULT_TIMEOUT, wait_for_exit

NO_WATCH = "reloadOnChange: false\n"


def config(*forwards: str, header: str = NO_WATCH) -> str:
    return header + "forwards:\n" + "".join(forwards)


def pids(pfd) -> dict:
    return {f["name"]: f.get("pid", 0) for f in pfd.status()["forwards"]}


def test_reload_keeps_unchanged_restarts_changed_stops_removed_starts_added(make_pfd, ports):
    a, b, c, d = ports
    pfd = make_pfd(config(command_forward("keep", a), command_forward("change", b),
                          command_forward("drop", c)))
    for name in ("keep", "change", "drop"):
        pfd.wait_for_state(name, "READY")
    before = pids(pfd)

    pfd.write_config(config(command_forward("keep", a),
                            command_forward("change", b, "--name", "changed"),
                            command_forward("add", d)))
    mark = pfd.mark()
    out = pfd.pfctl_ok("reload")
    assert "added: add" in out
    assert "changed: change" in out
    assert "removed: drop" in out
    assert "unchanged: 1" in out or "unchanged: keep" in out

    pfd.wait_for_state("add", "READY", since=mark)
    pfd.wait_for_state("change", "READY", since=mark)
    after = pids(pfd)
    assert after["keep"] == before["keep"], "an unchanged forward keeps its child"
    assert after["change"] != before["change"]
    assert "drop" not in after
    assert wait_for_exit(before["drop"]), "a removed forward's child is stopped"
    assert wait_for_exit(before["change"])


def test_bad_config_on_reload_changes_nothing_and_says_where(make_pfd, ports):
    pfd = make_pfd(config(command_forward("keep", ports[0])))
    pfd.wait_for_state("keep", "READY")
    before = pids(pfd)
    pfd.write_config(config(command_forward("keep", ports[0]), "  - name: Bad_Name\n"
                            "    target: deployment/x\n    ports: [\"1\"]\n"))
    mark = pfd.mark()
    result = pfd.pfctl("reload")
    assert result.returncode == 1
    # The name is on line 6 (after the reloadOnChange line), from column 11.
    where = f"{pfd.config}:6:11:"
    assert where in result.stderr, result.stderr
    pfd.wait_for_log(r"error +reload failed, the running forwards are unchanged: "
                     + re.escape(where) + r" .*Bad_Name", since=mark)
    assert pids(pfd) == before
    data = pfd.status()
    assert data["config"]["stale"] is True
    assert "Bad_Name" in data["config"]["error"]
    assert where in data["config"]["error"]
    table = pfd.pfctl("status")
    assert table.returncode == 0
    assert "Bad_Name" in table.stderr, "the table warns that the running config is older"

    # Fixing the file clears the warning.
    pfd.write_config(config(command_forward("keep", ports[0])))
    pfd.pfctl_ok("reload")
    assert pfd.status()["config"]["stale"] is False
    assert pids(pfd) == before


def test_sighup_reloads(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])))
    pfd.wait_for_state("a", "READY")
    pfd.write_config(config(command_forward("a", ports[0]), command_forward("b", ports[1])))
    mark = pfd.mark()
    pfd.process.send_signal(signal.SIGHUP)
    pfd.wait_for_log(r"SIGHUP: reloading", since=mark)
    pfd.wait_for_log(r"reloaded .*added \[b\]", since=mark)
    pfd.wait_for_state("b", "READY", since=mark)


def test_sighup_during_shutdown_does_not_reload(make_pfd, ports):
    # The child ignores SIGTERM, so the shutdown lasts the whole stop grace: the SIGHUP surely
    # arrives while pfd is stopping.
    pfd = make_pfd(config(command_forward("a", ports[0], "--ignore-sigterm")), start=False)
    pfd.start("--stop-grace-ms", "3000")
    pfd.wait_for_state("a", "READY")
    child = pids(pfd)["a"]
    mark = pfd.mark()
    pfd.process.send_signal(signal.SIGTERM)
    pfd.wait_for_log(r"stopping every forward", since=mark)
    pfd.process.send_signal(signal.SIGHUP)
    pfd.wait_for_log(r"SIGHUP ignored: pfd is stopping", since=mark)
    assert pfd.process.wait(DEFAULT_TIMEOUT) == 0
    pfd.log.wait_closed()
    after = pfd.log.lines()[mark:]
    assert not [line for line in after if "reload" in line], after
    assert not [line for line in after if "started pid" in line or "-> STARTING" in line], after
    assert wait_for_exit(child)


def test_a_change_of_the_file_on_disk_reloads(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), header=""))
    pfd.wait_for_state("a", "READY")
    mark = pfd.mark()
    # write_config replaces the file by rename, as editors do.
    pfd.write_config(config(command_forward("a", ports[0]), command_forward("b", ports[1]),
                            header=""))
    pfd.wait_for_log(r"changed on disk: reloading", since=mark)
    pfd.wait_for_state("b", "READY", since=mark)
    mark = pfd.mark()
    with open(pfd.config, "w") as out:  # and in place, as `>` does
        out.write(config(command_forward("a", ports[0]), header=""))
    pfd.wait_for_log(r"reloaded .*removed \[b\]", since=mark)


def test_reload_on_change_off_notes_the_change_and_waits_for_pfctl_reload(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])))
    pfd.wait_for_state("a", "READY")
    before = pids(pfd)
    assert pfd.status()["config"]["stale"] is False
    mark = pfd.mark()
    pfd.write_config(config(command_forward("a", ports[0]), command_forward("b", ports[1])))
    # pfd sees the change (the same watch that would reload), says so, and applies nothing.
    pfd.wait_for_log(r"changed on disk; reloadOnChange is false, so `pfctl reload`", since=mark)
    data = pfd.status()
    assert [f["name"] for f in data["forwards"]] == ["a"]
    assert pids(pfd) == before
    assert data["config"]["stale"] is True
    assert data["config"]["pending"] is True
    assert data["config"]["error"] == "", "nothing is wrong with the file"
    table = pfd.pfctl("status")
    assert "changed on disk; pfd still runs the previous config because reloadOnChange is " \
        "false: run 'pfctl reload' to apply it" in table.stderr, table.stderr
    assert not [line for line in pfd.log.lines()[mark:] if "reload" in line
                and "reloadOnChange is false" not in line], pfd.log.lines()[mark:]

    # The explicit reload then finds b, and the running config is the file again.
    out = pfd.pfctl_ok("reload")
    assert "added: b" in out
    assert pfd.status()["config"]["stale"] is False
    assert pfd.status()["config"]["pending"] is False
    assert pids(pfd)["a"] == before["a"]
