"""Who may talk to pfd: its own user and root, checked on every connection (SO_PEERCRED), even
when the socket and its directory are opened up to everyone. Runs pfd and pfctl as other users,
so it needs root (CI runs as root)."""
import fcntl
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile

import pytest

from pfd_harness import DEFAULT_TIMEOUT, LineLog, PfdInstance

if os.geteuid() != 0:
    pytest.skip("running pfd and pfctl as other users needs root (CI runs as root)",
                allow_module_level=True)

OTHER_USER = "pfd-test-other"  # never served: neither pfd's user nor root
OWNER_USER = "pfd-test-owner"  # runs a pfd of its own
USERS_LOCK = "/tmp/pfd-test-users.lock"
REFUSAL = r"refused a control connection from uid {uid} \(pid \d+\): pfd serves uid {served} " \
          r"and root only"


def system_user(name: str) -> pwd.struct_passwd:
    """The user `name`, created (system user, no home) if missing. useradd locks /etc/passwd and
    fails rather than waits when another useradd holds it, so parallel tests take turns."""
    with open(USERS_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        result = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                 "/usr/sbin/nologin", name], capture_output=True, text=True)
        # 9: the name is taken, by a run that does not use the lock file.
        assert result.returncode in (0, 9), f"useradd {name}: {result.stderr}"
        return pwd.getpwnam(name)


def as_user(user: pwd.struct_passwd, argv: list) -> list:
    """argv run as `user`, with only that user's group. setpriv execs in place, so the pid is
    the program's own and stopping it stops the program."""
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
            "--", *argv]


@pytest.fixture
def binaries():
    """pfd, pfd-exec, pfctl and pfctl-rpc (the full client, which pfctl runs from beside it)
    copied where any user may run them: the build tree may sit in a directory other users cannot
    enter."""
    directory = tempfile.mkdtemp(prefix="pfd-bin-", dir="/tmp")
    os.chmod(directory, 0o755)
    copies = {}
    for name, source in (("pfd", os.environ["PFD_BIN"]),
                         ("pfd-exec", os.path.join(os.path.dirname(os.environ["PFD_BIN"]),
                                                   "pfd-exec")),
                         ("pfctl", os.environ["PFCTL_BIN"]),
                         ("pfctl-rpc", os.path.join(os.path.dirname(os.environ["PFCTL_BIN"]),
                                                    "pfctl-rpc"))):
        copies[name] = shutil.copy(source, os.path.join(directory, name))
        os.chmod(copies[name], 0o755)
    yield copies
    shutil.rmtree(directory, ignore_errors=True)


def pfctl_as(user, pfctl: str, socket: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": "/"}
    return subprocess.run(as_user(user, [pfctl, "--socket", socket, *args]), capture_output=True,
                          text=True, timeout=DEFAULT_TIMEOUT, env=env)


def assert_refused(result: subprocess.CompletedProcess, socket: str, served: str,
                   client: str) -> None:
    assert result.returncode == 1, f"pfctl -> {result.returncode}\n{result.stderr}"
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: pfd at {socket} runs as {served} and serves only that "
                               f"user and root, and this pfctl runs as {client}, so pfd refused "
                               "the connection;"), lines[0]
    assert "run pfctl as that user (or as root)" in lines[0]


def refusals(pfd: PfdInstance, uid: int, served: int) -> list:
    pattern = re.compile(REFUSAL.format(uid=uid, served=served))
    return [line for line in pfd.log.lines() if pattern.search(line)]


def test_another_user_is_refused_even_through_a_world_writable_socket(make_pfd, binaries):
    other = system_user(OTHER_USER)
    other_name = f"uid {other.pw_uid} ({OTHER_USER})"
    pfd = make_pfd("forwards: []\n")
    # What a careless owner could do; the file mode no longer keeps anyone out.
    os.chmod(pfd.dir, 0o777)
    os.chmod(pfd.socket, 0o666)

    first = pfctl_as(other, binaries["pfctl"], pfd.socket, "status")
    assert_refused(first, pfd.socket, "uid 0 (root)", other_name)
    pfd.wait_for_log(REFUSAL.format(uid=other.pw_uid, served=0))
    second = pfctl_as(other, binaries["pfctl"], pfd.socket, "reload")
    assert_refused(second, pfd.socket, "uid 0 (root)", other_name)

    # pfd's own user (root here) is still served; its reload's log line comes after every
    # refusal above, so once it is read the count below is final.
    assert pfd.pfctl("status").returncode == 0
    mark = pfd.mark()
    pfd.pfctl_ok("reload")
    pfd.wait_for_log(r"reloaded ", since=mark)
    assert len(refusals(pfd, other.pw_uid, 0)) == 1, "one line per refused uid"


def test_a_pfd_of_another_user_serves_that_user_and_root_only(make_pfd, binaries):
    owner = system_user(OWNER_USER)
    other = system_user(OTHER_USER)
    pfd = make_pfd("forwards: []\n", start=False)
    os.chown(pfd.dir, owner.pw_uid, owner.pw_gid)
    os.chown(pfd.config, owner.pw_uid, owner.pw_gid)
    pfd.process = subprocess.Popen(
        as_user(owner, [binaries["pfd"], "--config", pfd.config, "--socket", pfd.socket,
                        "--log-level", "debug"]),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": "/"})
    pfd.log = LineLog(pfd.process.stderr)
    pfd.wait_for_log(r"serving pfd\.v1\.Control")
    assert os.stat(pfd.socket).st_uid == owner.pw_uid
    assert stat.S_IMODE(os.stat(pfd.socket).st_mode) == 0o600

    served = pfctl_as(owner, binaries["pfctl"], pfd.socket, "version")
    assert served.returncode == 0, served.stderr
    assert f"Server PID: {pfd.process.pid}" in served.stdout
    assert pfd.pfctl("version").returncode == 0, "root is served by every pfd"

    os.chmod(pfd.dir, 0o777)
    os.chmod(pfd.socket, 0o666)
    refused = pfctl_as(other, binaries["pfctl"], pfd.socket, "status")
    assert_refused(refused, pfd.socket, f"uid {owner.pw_uid} ({OWNER_USER})",
                   f"uid {other.pw_uid} ({OTHER_USER})")
    pfd.wait_for_log(REFUSAL.format(uid=other.pw_uid, served=owner.pw_uid))


def test_a_socket_whose_mode_keeps_a_user_out_says_whose_it_is(make_pfd, binaries):
    other = system_user(OTHER_USER)
    pfd = make_pfd("forwards: []\n")
    os.chmod(pfd.dir, 0o755)  # the socket itself stays 0600
    result = pfctl_as(other, binaries["pfctl"], pfd.socket, "status")
    assert_refused(result, pfd.socket, "uid 0 (root)", f"uid {other.pw_uid} ({OTHER_USER})")
