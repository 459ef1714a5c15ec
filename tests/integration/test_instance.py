"""One pfd per socket, stale sockets, a bad config, and no orphans when pfd is SIGKILLed."""
import os
import stat
import subprocess

from conftest import command_forward
from pfd_harness import PfdInstance, wait_for_exit


def config(*forwards: str) -> str:
    return "forwards:\n" + "".join(forwards)


def test_socket_is_private(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])))
    assert stat.S_IMODE(os.stat(pfd.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pfd.dir).st_mode) == 0o700


def test_a_socket_directory_pfd_creates_is_private(make_pfd, ports, tmp_path):
    directory = tmp_path / "new" / "dir"
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False)
    pfd.socket = str(directory / "pfd.sock")
    pfd.start()
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(pfd.socket).st_mode) == 0o600


def test_pfds_own_runtime_directory_is_made_private(make_pfd, ports, tmp_path):
    runtime = tmp_path / "run"
    (runtime / "pfd").mkdir(parents=True, mode=0o755)
    os.chmod(runtime / "pfd", 0o755)
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False,
                   extra_env={"XDG_RUNTIME_DIR": str(runtime)})
    pfd.socket = str(runtime / "pfd" / "pfd.sock")  # the default socket path
    pfd.start()
    assert stat.S_IMODE(os.stat(runtime / "pfd").st_mode) == 0o700


def test_an_existing_directory_given_with_socket_keeps_its_mode(make_pfd, ports, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False)
    pfd.socket = str(shared / "pfd.sock")
    pfd.start()
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o755, "the user's directory is theirs"
    assert stat.S_IMODE(os.stat(pfd.socket).st_mode) == 0o600, "the socket is what is private"
    pfd.wait_for_state("a", "READY")


def test_second_instance_on_the_same_socket_refuses_to_start(make_pfd, ports):
    first = make_pfd(config(command_forward("a", ports[0])))
    first.wait_for_state("a", "READY")
    second = subprocess.run(first.command(), capture_output=True, text=True, timeout=20,
                            env=first.env)
    assert second.returncode == 1
    assert "already running" in second.stderr
    assert str(first.process.pid) in second.stderr
    # The first one is unharmed.
    assert first.forward("a")["state"] == "FORWARD_STATE_READY"


def test_stale_socket_of_a_dead_pfd_is_replaced(make_pfd, ports):
    first = make_pfd(config(command_forward("a", ports[0])))
    first.wait_for_state("a", "READY")
    child = first.forward("a")["pid"]
    first.kill()
    assert os.path.exists(first.socket), "SIGKILL leaves the socket file behind"
    assert wait_for_exit(child, 5)
    second = make_pfd(config(command_forward("a", ports[0])), directory=first.dir)
    second.wait_for_state("a", "READY")
    assert second.forward("a")["pid"] != child


def test_sigkill_of_pfd_leaves_no_child_behind(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0]), command_forward("b", ports[1])))
    pfd.wait_for_state("a", "READY")
    pfd.wait_for_state("b", "READY")
    pids = [f["pid"] for f in pfd.status()["forwards"]]
    pfd.kill()
    for pid in pids:
        # The bound the issue sets is one second; the kernel's PDEATHSIG is immediate.
        assert wait_for_exit(pid, 1.0), f"child {pid} outlived pfd by more than a second"


def test_bad_config_refuses_to_start_and_says_where(ports):
    instance = PfdInstance("forwards:\n  - name: web\n    target: deployment/web\n"
                           "    ports: [\"80800\"]\n")
    try:
        result = subprocess.run(instance.command(), capture_output=True, text=True, timeout=20,
                                env=instance.env)
        assert result.returncode == 1
        assert f"{instance.config}:4:" in result.stderr, result.stderr
        assert "80800" in result.stderr
        assert not os.path.exists(instance.socket)
    finally:
        instance.cleanup()


def test_missing_config_refuses_to_start(ports):
    instance = PfdInstance("forwards: []\n")
    os.unlink(instance.config)
    try:
        result = subprocess.run(instance.command(), capture_output=True, text=True, timeout=20,
                                env=instance.env)
        assert result.returncode == 1
        assert instance.config in result.stderr
    finally:
        instance.cleanup()


def test_pfctl_without_pfd_says_so_in_one_line_and_exits_2(ports):
    instance = PfdInstance("forwards: []\n")
    try:
        result = instance.pfctl("status")
        assert result.returncode == 2
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "not running" in result.stderr
        assert instance.socket in result.stderr
    finally:
        instance.cleanup()


def test_pfd_socket_env_is_honoured_by_both_programs(make_pfd, ports):
    pfd = make_pfd(config(command_forward("a", ports[0])), start=False)
    env = dict(pfd.env, PFD_SOCKET=pfd.socket)
    process = subprocess.Popen([pfd.pfd_bin, "--config", pfd.config], env=env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    from pfd_harness import LineLog
    pfd.process, pfd.log = process, LineLog(process.stderr)
    pfd.wait_for_state("a", "READY")
    result = subprocess.run([pfd.pfctl_bin, "status"], env=env, capture_output=True, text=True,
                            timeout=20)
    assert result.returncode == 0, result.stderr
    assert "READY" in result.stdout


def test_bad_command_line_exits_64():
    import os as _os
    result = subprocess.run([_os.environ["PFD_BIN"], "--no-such-flag"], capture_output=True,
                            text=True, timeout=20)
    assert result.returncode == 64
    assert "--no-such-flag" in result.stderr


def test_sigkill_of_pfd_also_ends_the_childs_own_children(make_pfd, ports):
    from conftest import command_forward as forward
    from pfd_harness import process_alive
    pfd = make_pfd(config(forward("family", ports[0], "--spawn-grandchild")))
    grandchild = int(pfd.wait_for_log(r"family\| grandchild (\d+)")[1])
    pfd.wait_for_state("family", "READY")
    child = pfd.forward("family")["pid"]
    try:
        pfd.kill()
        assert wait_for_exit(child, 1.0)
        assert wait_for_exit(grandchild, 1.0), "the grandchild outlived pfd by more than 1s"
    finally:
        if process_alive(grandchild):
            os.kill(grandchild, 9)
