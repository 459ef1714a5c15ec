"""Live reload: pfctl reload, SIGHUP and a change of the file on disk reconcile the running set."""
import json
import signal

from conftest import command_forward
from pfd_harness import wait_for_exit


def config(*forwards: str, header: str = "") -> str:
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
    result = pfd.pfctl("reload")
    assert result.returncode == 1
    assert f"{pfd.config}:5:" in result.stderr, result.stderr
    assert pids(pfd) == before
    data = pfd.status()
    assert data["config"]["stale"] is True
    assert "Bad_Name" in data["config"]["error"]
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
    pfd.wait_for_log(r"reloaded .*added \[b\]", since=mark)
    pfd.wait_for_state("b", "READY", since=mark)


def test_a_change_of_the_file_on_disk_reloads(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])))
    pfd.wait_for_state("a", "READY")
    mark = pfd.mark()
    # write_config replaces the file by rename, as editors do.
    pfd.write_config(config(command_forward("a", ports[0]), command_forward("b", ports[1])))
    pfd.wait_for_log(r"changed on disk: reloading", since=mark)
    pfd.wait_for_state("b", "READY", since=mark)
    mark = pfd.mark()
    with open(pfd.config, "w") as out:  # and in place, as `>` does
        out.write(config(command_forward("a", ports[0])))
    pfd.wait_for_log(r"reloaded .*removed \[b\]", since=mark)


def test_reload_on_change_can_be_turned_off(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), header="reloadOnChange: false\n"))
    pfd.wait_for_state("a", "READY")
    pfd.write_config(config(command_forward("a", ports[0]), command_forward("b", ports[1]),
                            header="reloadOnChange: false\n"))
    # Without a watch nothing reloads until asked; the explicit reload then finds b.
    out = pfd.pfctl_ok("reload")
    assert "added: b" in out
    assert not any("changed on disk" in line for line in pfd.log.lines())
