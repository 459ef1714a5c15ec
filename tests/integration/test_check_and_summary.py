"""`pfd --check` / `pfctl check` (a config checked without starting anything) and `pfctl status
--short` (the one-line summary pfd keeps beside its socket, read without a gRPC channel)."""
import os
import stat
import subprocess

from conftest import PYTHON, command_forward
from pfd_harness import PfdInstance, binary


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


BAD_CONFIG = (
    "forwards:\n"
    "  - {name: web, target: deployment/web, ports: [\"8080:80\"]}\n"
    "  - {name: Bad_Name, target: x, ports: [\"81\"]}\n"
    "  - {name: api, target: deployment/api, portz: [\"82\"]}\n"
)


def write(tmp_path, text: str) -> str:
    path = tmp_path / "forwards.yaml"
    path.write_text(text)
    return str(path)


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, NO_COLOR="1"))


def test_pfd_check_says_ok_with_the_forward_count_and_starts_nothing(tmp_path, ports):
    path = write(tmp_path, config(command_forward("web", ports[0]),
                                  command_forward("db", ports[1])))
    socket = str(tmp_path / "pfd.sock")
    result = run(binary("PFD_BIN"), "--check", "--config", path, "--socket", socket)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}: 2 forwards, OK\n"
    assert result.stderr == ""
    assert sorted(os.listdir(tmp_path)) == ["forwards.yaml"], "no socket, lock or summary"


def test_pfd_check_prints_every_located_error_and_exits_1(tmp_path):
    path = write(tmp_path, BAD_CONFIG)
    result = run(binary("PFD_BIN"), "--check", "--config", path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert lines[0].startswith(f"{path}:3:12: forwards[1].name: "), lines[0]
    assert lines[1].startswith(f"{path}:4:41: forwards[2].portz: unknown key"), lines[1]
    assert lines[2] == f"{path}: 2 errors, not loaded"


def test_pfctl_check_asks_nothing_of_the_daemon(tmp_path):
    path = write(tmp_path, BAD_CONFIG)
    # No pfd runs at this socket: check must not try to reach one.
    socket = str(tmp_path / "absent.sock")
    bad = run(binary("PFCTL_BIN"), "--socket", socket, "check", path)
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[-1] == f"{path}: 2 errors, not loaded"
    good = write(tmp_path, "forwards: []\n")
    ok = run(binary("PFCTL_BIN"), "--socket", socket, "check", good)
    assert (ok.returncode, ok.stdout) == (0, f"{good}: 0 forwards, OK\n")
    missing = run(binary("PFCTL_BIN"), "check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr


def test_pfd_check_beside_a_running_pfd_on_the_same_socket(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_state("web", "READY")
    result = run(*pfd.command("--check"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{pfd.config}: 1 forward, OK\n"
    assert pfd.process.poll() is None
    assert pfd.forward("web")["state"] == "FORWARD_STATE_READY"


def summary_path(pfd: PfdInstance) -> str:
    return pfd.socket + ".summary"


def test_status_short_summarises_and_exits_3_while_a_forward_is_down(make_pfd, ports):
    pfd = make_pfd(config(
        command_forward("web", ports[0]),
        # Cannot be executed: FAILED at once, and no retries to flip it back and forth.
        f'  - name: bad\n    command: ["/nonexistent/pfd-test-program"]\n'
        f'    ports: ["{ports[1]}"]\n'))
    pfd.wait_for_log(r"status summary: pfd: 1/2 ready, bad down$")
    result = pfd.pfctl("status", "--short")
    assert (result.returncode, result.stdout, result.stderr) == (3, "pfd: 1/2 ready, bad down\n", "")
    info = os.stat(summary_path(pfd))
    assert stat.S_IMODE(info.st_mode) == 0o600

    mark = pfd.mark()
    pfd.pfctl_ok("stop", "bad")
    pfd.wait_for_log(r"status summary: pfd: 1/1 ready$", since=mark)
    result = pfd.pfctl("status", "--short")
    assert (result.returncode, result.stdout) == (0, "pfd: 1/1 ready\n")


def test_status_short_says_not_running_after_pfd_stopped_or_was_killed(make_pfd, ports):
    pfd = make_pfd(config(command_forward("web", ports[0])))
    pfd.wait_for_log(r"status summary: pfd: 1/1 ready$")
    assert pfd.pfctl("status", "--short").returncode == 0
    pfd.kill()  # SIGKILL: the file stays, with the pid of a process that is gone
    assert os.path.exists(summary_path(pfd))
    result = pfd.pfctl("status", "--short")
    assert (result.returncode, result.stdout) == (3, "pfd: not running\n")

    again = make_pfd(config(command_forward("web", ports[1])), directory=pfd.dir)
    again.wait_for_log(r"status summary: pfd: 1/1 ready$")
    assert again.stop() == 0
    assert not os.path.exists(summary_path(again)), "removed on a clean exit"
    result = again.pfctl("status", "--short")
    assert (result.returncode, result.stdout) == (3, "pfd: not running\n")


def test_status_short_rejects_names_and_output_formats(tmp_path):
    result = run(binary("PFCTL_BIN"), "--socket", str(tmp_path / "s"), "status", "--short", "web")
    assert result.returncode == 64
    assert "--short" in result.stderr
