"""`cmake --install` lays out what a user needs, and the installed programs work from there: pfd
finds its pfd-exec helper in libexec and supervises a child, and systemd accepts the installed
unit with its man pages."""
import gzip
import json
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile

import pytest
from packaging_support import cmake_install, systemd_verify, unit_directives

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from port_allocator import reserve_ports  # noqa: E402

TIMEOUT = 30

EXPECTED_FILES = {
    "bin/pfd": 0o755,
    "bin/pfctl": 0o755,
    "libexec/pfd/pfd-exec": 0o755,
    "libexec/pfd/pfctl-rpc": 0o755,
    "lib/systemd/user/pfd.service": 0o644,
    "share/man/man1/pfd.1.gz": 0o644,
    "share/man/man1/pfctl.1.gz": 0o644,
    "share/man/man5/pfd.yaml.5.gz": 0o644,
    "share/bash-completion/completions/pfctl": 0o644,
    "share/bash-completion/completions/pfd": 0o644,
    "share/zsh/vendor-completions/_pfctl": 0o644,
    "share/zsh/vendor-completions/_pfd": 0o644,
    "share/fish/vendor_completions.d/pfctl.fish": 0o644,
    "share/fish/vendor_completions.d/pfd.fish": 0o644,
    "share/doc/pfd/example.yaml": 0o644,
    "share/doc/pfd/pfd.schema.json": 0o644,
    "share/doc/pfd/config.md": 0o644,
    "share/doc/pfd/copyright": 0o644,
}


def expected_files(source_dir: str) -> dict:
    files = dict(EXPECTED_FILES)
    # The README is installed when the project has one.
    if os.path.exists(os.path.join(source_dir, "README.md")):
        files["share/doc/pfd/README.md"] = 0o644
    return files


def tree(root: str) -> dict:
    """Every file under root (relative path -> permission bits)."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            found[os.path.relpath(path, root)] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


@pytest.fixture(scope="module")
def prefix(build_dir):
    """The project installed with --prefix into a fresh directory, removed afterwards."""
    top = tempfile.mkdtemp(prefix="pfd-install-", dir="/tmp")
    path = os.path.join(top, "usr")
    cmake_install(build_dir, path)
    yield path
    shutil.rmtree(top, ignore_errors=True)


def test_install_puts_every_file_in_its_place_with_its_mode(prefix, source_dir):
    assert tree(prefix) == expected_files(source_dir)


def test_installed_docs_are_the_project_files(prefix, source_dir):
    for name in ["example.yaml", "pfd.schema.json"]:
        with open(os.path.join(source_dir, "config", name)) as original, \
                open(os.path.join(prefix, "share", "doc", "pfd", name)) as installed:
            assert installed.read() == original.read()


def deb822_paragraphs(text: str) -> list[dict]:
    """Debian's control-file syntax (deb822): paragraphs of `Field: value` with continuation
    lines that start with a space."""
    paragraphs = []
    for block in text.strip("\n").split("\n\n"):
        fields, last = {}, None
        for line in block.split("\n"):
            if line.startswith((" ", "\t")):
                assert last is not None, f"continuation line before any field: {line!r}"
                fields[last] += "\n" + line[1:]
            else:
                name, sep, value = line.partition(":")
                assert sep and name and " " not in name, f"not a field: {line!r}"
                last = name
                fields[name] = value.strip()
        paragraphs.append(fields)
    return paragraphs


# Debian's machine-readable copyright format 1.0: a header paragraph naming the format, a Files
# paragraph for everything, and the licence text whose short name that paragraph uses.
def test_installed_copyright_is_machine_readable_and_says_apache_2(prefix, source_dir):
    with open(os.path.join(prefix, "share", "doc", "pfd", "copyright")) as f:
        header, files, licence = deb822_paragraphs(f.read())
    assert header["Format"] == \
        "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    assert header["Upstream-Name"] == "pfd"
    assert files["Files"] == "*"
    assert files["License"] == "Apache-2.0"
    assert files["Copyright"]
    assert licence["License"].split("\n")[0] == "Apache-2.0"
    assert "/usr/share/common-licenses/Apache-2.0" in licence["License"]
    with open(os.path.join(source_dir, "LICENSE")) as f:
        text = f.read()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_installed_man_pages_are_configured_roff(prefix, version):
    for page in ["man1/pfd.1.gz", "man1/pfctl.1.gz", "man5/pfd.yaml.5.gz"]:
        with gzip.open(os.path.join(prefix, "share", "man", page), "rt") as compressed:
            text = compressed.read()
        assert f'"pfd {version}"' in text and "@" + "PROJECT_VERSION@" not in text


def test_installed_pfd_prints_its_version(prefix, version):
    result = subprocess.run([os.path.join(prefix, "bin", "pfd"), "--version"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert (result.returncode, result.stdout.strip()) == (0, f"pfd {version}")


def test_installed_pfctl_prints_its_help(prefix):
    # pfctl is a front that runs the full client from ../libexec/pfd (client/full_client.h).
    result = subprocess.run([os.path.join(prefix, "bin", "pfctl"), "--help"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "Subcommands:" in result.stdout and "Exit codes:" in result.stdout


def test_installed_pfctl_answers_status_short_itself(prefix, tmp_dir):
    result = subprocess.run([os.path.join(prefix, "bin", "pfctl"), "--socket",
                             os.path.join(tmp_dir, "none.sock"), "status", "--short"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert (result.returncode, result.stdout, result.stderr) == (3, "pfd: not running\n", "")


def test_installed_unit_starts_the_installed_pfd_and_systemd_accepts_it(prefix):
    unit = os.path.join(prefix, "lib", "systemd", "user", "pfd.service")
    directives = unit_directives(unit)
    assert directives["Service.ExecStart"] == [os.path.join(prefix, "bin", "pfd")]
    assert directives["Service.ExecReload"] == [os.path.join(prefix, "bin", "pfctl") + " reload"]
    # With the installed man pages on MANPATH, verify also resolves Documentation=man:...
    assert systemd_verify(unit, man_path=os.path.join(prefix, "share", "man")) == ""


def test_destdir_install_stages_the_tree_for_the_final_prefix(build_dir, source_dir, tmp_dir):
    cmake_install(build_dir, "/usr", destdir=tmp_dir)
    assert os.listdir(tmp_dir) == ["usr"]
    staged = os.path.join(tmp_dir, "usr")
    assert tree(staged) == expected_files(source_dir)
    # The unit names where pfd will be, not where it was staged.
    unit = os.path.join(staged, "lib", "systemd", "user", "pfd.service")
    assert unit_directives(unit)["Service.ExecStart"] == ["/usr/bin/pfd"]
    assert unit_directives(unit)["Service.ExecReload"] == ["/usr/bin/pfctl reload"]
    # The example's yaml-language-server line names the schema where the package puts it, so
    # that a copy of the example in ~/.config/pfd still finds it.
    with open(os.path.join(staged, "share", "doc", "pfd", "example.yaml")) as example:
        declared = example.readline().split("$schema=", 1)[1].strip()
    assert declared.startswith("/usr/"), declared
    assert os.path.isfile(os.path.join(tmp_dir, declared.lstrip("/"))), declared


def shell_search_path(shell: str, script: str) -> list:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    result = subprocess.run([shell, *(["-f"] if shell == "zsh" else []), "-c", script],
                            capture_output=True, text=True, timeout=TIMEOUT,
                            env=dict(os.environ, XDG_DATA_DIRS="/usr/share"))
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("shell, script, completion", [
    ("zsh", "print -l $fpath", "_pfctl"),
    ("fish", "string join \\n $__fish_vendor_completionsdirs", "pfctl.fish"),
])
def test_the_package_puts_completions_where_the_shells_look(shell, script, completion):
    # The .deb installs to /usr; Debian's zsh and fish must search the directory it uses.
    installed = next(path for path in EXPECTED_FILES if path.endswith("/" + completion))
    assert "/usr/" + os.path.dirname(installed) in shell_search_path(shell, script)


def test_installed_pfd_runs_children_through_the_installed_helper(prefix, tmp_dir):
    # The child tells us it started on a datagram socket, so the test waits on that event. It
    # can only start if pfd found pfd-exec at ../libexec/pfd relative to itself.
    ready_path = os.path.join(tmp_dir, "ready.sock")
    ready = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ready.bind(ready_path)
    child = ("import socket, sys, time\n"
             "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
             "s.sendto(b'started', sys.argv[1])\n"
             "time.sleep(600)\n")
    (port,) = reserve_ports(1)
    config = os.path.join(tmp_dir, "forwards.yaml")
    with open(config, "w") as out:
        out.write("reloadOnChange: false\nforwards:\n"
                  f"  - name: child\n"
                  f"    command: {json.dumps(['/usr/bin/python3', '-c', child, ready_path])}\n"
                  f"    ports: [\"{port}\"]\n")
    control = os.path.join(tmp_dir, "pfd.sock")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("NOTIFY_SOCKET", None)
    env.pop("JOURNAL_STREAM", None)
    pfd = subprocess.Popen([os.path.join(prefix, "bin", "pfd"), "--config", config,
                            "--socket", control],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
    child_pid = 0
    child_gone = False
    try:
        readable, _, _ = select.select([ready], [], [], TIMEOUT)
        if not readable:
            pfd.kill()
            raise AssertionError("the child never started; pfd said:\n" +
                                 pfd.communicate()[1].decode(errors="replace"))
        assert ready.recv(64) == b"started"

        status = subprocess.run([os.path.join(prefix, "bin", "pfctl"), "--socket", control,
                                 "status", "-o", "json"],
                                capture_output=True, text=True, timeout=TIMEOUT, env=env)
        assert status.returncode == 0, status.stderr
        forward = json.loads(status.stdout)["forwards"][0]
        child_pid = int(forward["pid"])
        assert forward["name"] == "child" and child_pid > 0

        pfd.send_signal(signal.SIGTERM)
        assert pfd.wait(TIMEOUT) == 0
        try:
            child_fd = os.pidfd_open(child_pid)
        except ProcessLookupError:
            child_gone = True
        else:
            try:
                child_gone = bool(select.select([child_fd], [], [], TIMEOUT)[0])
            finally:
                os.close(child_fd)
        assert child_gone, f"the child {child_pid} outlived pfd"
    finally:
        ready.close()
        if pfd.poll() is None:
            pfd.kill()
            pfd.wait()
        if pfd.stderr:
            pfd.stderr.close()
        if child_pid > 0 and not child_gone:
            try:
                os.kill(child_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
