"""The systemd user unit: systemd itself accepts it, and it says what pfd needs."""
import os
import shlex
import signal
import subprocess

import pytest
from packaging_support import systemd_verify, unit_directives


@pytest.fixture(scope="module")
def unit(build_dir: str) -> str:
    """The build-tree copy of the unit, whose ExecStart is the pfd of this build."""
    path = os.path.join(build_dir, "packaging", "systemd", "pfd.service")
    assert os.path.isfile(path), f"{path} is missing; reconfigure the build (cmake -S . -B ...)"
    return path


def test_systemd_analyze_verify_accepts_the_unit(unit):
    assert systemd_verify(unit) == ""


def test_verify_catches_a_directive_systemd_cannot_parse(unit, tmp_dir):
    # systemd-analyze exits 0 on an unparsable value; systemd_verify must still report it, or
    # the test above would pass on a broken unit.
    broken = os.path.join(tmp_dir, "pfd.service")
    with open(unit) as source, open(broken, "w") as out:
        out.write(source.read().replace("KillMode=mixed", "KillMode=mixd"))
    assert "mixd" in systemd_verify(broken)


def test_verify_catches_an_exec_start_that_does_not_exist(unit, tmp_dir):
    broken = os.path.join(tmp_dir, "pfd.service")
    with open(unit) as source, open(broken, "w") as out:
        for line in source:
            out.write("ExecStart=/nonexistent/pfd\n" if line.startswith("ExecStart=") else line)
    assert "/nonexistent/pfd" in systemd_verify(broken)


def test_exec_start_runs_the_built_pfd_without_flags(unit, pfd_bin):
    # The default config and socket come from XDG_CONFIG_HOME / XDG_RUNTIME_DIR, which the user
    # manager sets, so the unit passes no paths.
    assert unit_directives(unit)["Service.ExecStart"] == [pfd_bin]
    assert os.access(pfd_bin, os.X_OK)


def test_unit_is_a_notify_service_that_reloads_synchronously_with_pfctl(unit, pfctl_bin):
    # `systemctl reload` waits for ExecReload= and fails when it fails: `pfctl reload` returns
    # once pfd applied the file, and exits 1 on a config that does not load. (A kill -HUP would
    # return at once and succeed either way; systemd.service(5) advises against it.)
    directives = unit_directives(unit)
    assert directives["Service.Type"] == ["notify"]
    assert directives["Service.ExecReload"] == [f"{pfctl_bin} reload"]
    assert os.access(pfctl_bin, os.X_OK)


def test_exec_reload_reaches_the_socket_exec_start_serves(unit):
    # pfctl finds pfd's socket by the same rule as pfd, in the same environment, as long as
    # neither names one on its command line: a --socket on one would have to be on both.
    directives = unit_directives(unit)
    for key in ("Service.ExecStart", "Service.ExecReload"):
        assert "--socket" not in directives[key][0] and " -s" not in directives[key][0], key


def test_verify_catches_an_exec_reload_that_does_not_exist(unit, tmp_dir):
    broken = os.path.join(tmp_dir, "pfd.service")
    with open(unit) as source, open(broken, "w") as out:
        for line in source:
            out.write("ExecReload=/nonexistent/pfctl reload\n"
                      if line.startswith("ExecReload=") else line)
    assert "/nonexistent/pfctl" in systemd_verify(broken)


def test_unit_restarts_on_failure_but_not_on_a_config_error(unit):
    directives = unit_directives(unit)
    assert directives["Service.Restart"] == ["on-failure"]
    assert directives["Service.RestartPreventExitStatus"] == ["1"]
    assert directives["Service.RestartSec"] == ["2s"]
    assert directives["Service.WatchdogSec"] == ["30s"]


def test_stop_leaves_pfd_time_to_stop_its_children(unit):
    directives = unit_directives(unit)
    # pfd gives each child 3 s after SIGTERM (in parallel), then up to 2 s to close the socket.
    timeout = directives["Service.TimeoutStopSec"][0]
    assert timeout.endswith("s") and int(timeout[:-1]) >= 10, timeout
    assert directives["Service.KillMode"] == ["mixed"]


def test_unit_is_enabled_for_the_user_session_and_documented(unit):
    directives = unit_directives(unit)
    assert directives["Install.WantedBy"] == ["default.target"]
    assert directives["Unit.Documentation"] == ["man:pfd(1) man:pfctl(1) man:pfd.yaml(5)"]


def test_unit_template_names_the_install_bindir(source_dir):
    template = os.path.join(source_dir, "packaging", "systemd", "pfd.service.in")
    directives = unit_directives(template)
    assert directives["Service.ExecStart"] == ["@CMAKE_INSTALL_FULL_BINDIR@/pfd"]
    assert directives["Service.ExecReload"] == ["@CMAKE_INSTALL_FULL_BINDIR@/pfctl reload"]


def test_exec_reload_applies_the_config_and_fails_on_a_bad_one(unit, tmp_dir):
    # What systemd does on start and reload, without systemd: the two command lines of the unit,
    # in one environment with only the XDG directories the user manager sets. ExecReload must
    # find the socket ExecStart serves, wait for the reload and fail with the error's location.
    directives = unit_directives(unit)
    start = shlex.split(directives["Service.ExecStart"][0])
    reload = shlex.split(directives["Service.ExecReload"][0])
    runtime = os.path.join(tmp_dir, "run")
    config_dir = os.path.join(tmp_dir, "config", "pfd")
    os.makedirs(config_dir)
    os.mkdir(runtime, 0o700)
    config = os.path.join(config_dir, "forwards.yaml")
    with open(config, "w") as out:
        out.write("reloadOnChange: false\nforwards: []\n")
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, XDG_CONFIG_HOME=os.path.dirname(config_dir),
               NO_COLOR="1")
    for name in ("PFD_SOCKET", "NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC"):
        env.pop(name, None)
    pfd = subprocess.Popen(start, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        for line in pfd.stderr:  # the first line that says it serves: an event, not a sleep
            if "serving pfd.v1.Control" in line:
                break
        else:
            raise AssertionError(f"pfd exited {pfd.wait()} before serving")
        assert line.rstrip().endswith(f"on {runtime}/pfd/pfd.sock with 0 forwards from {config}")

        good = subprocess.run(reload, env=env, capture_output=True, text=True, timeout=30)
        assert good.returncode == 0, good.stderr

        with open(config, "w") as out:
            out.write("reloadOnChange: false\nforwards:\n  - name: Bad_Name\n")
        bad = subprocess.run(reload, env=env, capture_output=True, text=True, timeout=30)
        assert bad.returncode == 1, (bad.stdout, bad.stderr)
        assert f"{config}:3:11:" in bad.stderr, bad.stderr
    finally:
        pfd.send_signal(signal.SIGTERM)
        try:
            assert pfd.wait(30) == 0
        finally:
            if pfd.poll() is None:
                pfd.kill()
                pfd.wait()
            pfd.stderr.close()
