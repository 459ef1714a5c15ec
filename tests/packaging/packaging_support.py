"""Helpers the packaging tests share: installing the project, verifying a systemd unit, reading
the flags and subcommands out of a CLI11 --help."""
import os
import re
import shutil
import subprocess
import tempfile
from typing import Dict, List, Optional


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; run the packaging tests through ctest "
                           f"(ctest -L packaging)")
    return value


def cmake_install(build_dir: str, prefix: str, destdir: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DESTDIR", None)
    if destdir:
        env["DESTDIR"] = destdir
    result = subprocess.run([required_env("CMAKE_COMMAND"), "--install", build_dir,
                             "--prefix", prefix],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, (f"cmake --install failed ({result.returncode}); build the "
                                    f"default target first (ninja -C {build_dir})\n"
                                    f"{result.stdout}\n{result.stderr}")
    return result


def systemd_verify(unit_path: str, man_path: Optional[str] = None) -> str:
    """Runs `systemd-analyze --user verify` on a unit file and returns everything it printed.

    It needs no running systemd: a private XDG_RUNTIME_DIR is enough for the user manager it
    simulates. Its exit code alone is not enough, since it reports a directive it does not
    understand ("Unknown key name", "Failed to parse") on stderr and still exits 0, so callers
    treat any output as a failure. Without `man_path` the Documentation= man pages are not looked
    up; with it they must be found there.
    """
    if shutil.which("systemd-analyze") is None:
        raise AssertionError("systemd-analyze is not installed; run scripts/install-deps.sh "
                             "(Debian package systemd)")
    env = dict(os.environ)
    env.pop("SYSTEMD_UNIT_PATH", None)
    with tempfile.TemporaryDirectory(prefix="pfd-verify-", dir="/tmp") as runtime_dir:
        env["XDG_RUNTIME_DIR"] = runtime_dir
        command = ["systemd-analyze", "--user", "verify"]
        if man_path is None:
            command.append("--man=no")
        else:
            env["MANPATH"] = man_path
        command.append(unit_path)
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 and not output:
        output = f"systemd-analyze exited {result.returncode} without a message"
    return output


def unit_directives(unit_path: str) -> Dict[str, List[str]]:
    """The unit's "Section.Key" -> values, in order (systemd allows a key more than once)."""
    directives: Dict[str, List[str]] = {}
    section = ""
    with open(unit_path) as unit:
        for raw in unit:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            key, _, value = line.partition("=")
            directives.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return directives


def help_flags(help_text: str) -> List[str]:
    """The flags in the Options: section of a CLI11 --help, e.g. ["-h", "--help", "-o", ...]."""
    flags = []
    in_options = False
    for line in help_text.splitlines():
        if line.startswith("Options:"):
            in_options = True
            continue
        if in_options and line and not line.startswith(" "):
            break
        stripped = line.strip()
        if in_options and stripped.startswith("-"):
            first_column = re.split(r"\s", stripped, maxsplit=1)[0]
            for flag in first_column.split(","):
                flags.append(re.split(r"[=:]", flag)[0])
    return flags


def help_subcommands(help_text: str) -> List[str]:
    """Subcommand names and aliases from the Subcommands: section of a CLI11 --help."""
    names = []
    in_subcommands = False
    for line in help_text.splitlines():
        if line.startswith("Subcommands:"):
            in_subcommands = True
            continue
        if in_subcommands and (not line.strip() or not line.startswith(" ")):
            break
        if in_subcommands:
            first_column = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
            names += [name.strip() for name in first_column.split(",")]
    return names


def run_help(*command: str) -> str:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{command} -> {result.returncode}: {result.stderr}"
    return result.stdout
