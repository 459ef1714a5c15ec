"""Shell completions: bash is driven through its completion function with COMP_WORDS set; zsh
through its completion system on a pseudo-terminal; fish through `complete -C`. Forward names
come from a fake pfctl on PATH that prints canned `status -o json` output and records how it was
called; the real pfctl, with no pfd behind it, shows that completion falls back silently."""
import json
import os
import shutil
import subprocess
from typing import Dict, List, Optional

import pytest
from packaging_support import help_flags, help_subcommands, run_help

# What `pfctl status -o json` prints (protobuf's JSON), trimmed. The command forward's argument
# contains "name": on purpose: it must not be taken for a forward name.
CANNED_STATUS = {
    "forwards": [
        {"name": "web", "target": "deployment/web", "command": [], "namespace": "shop",
         "ports": [{"localPort": 8080, "remotePort": "80"}], "state": "FORWARD_STATE_READY",
         "readiness": {"kind": "httpGet", "success": True, "message": "HTTP 200"}},
        {"name": "db-main", "target": "", "command": ["ssh", "-L", '5432, "name": "evil"'],
         "ports": [{"localPort": 5432, "remotePort": "5432"}], "state": "FORWARD_STATE_STOPPED"},
        {"name": "api2", "target": "svc/api", "state": "FORWARD_STATE_BACKOFF"},
    ],
    "config": {"path": "/home/u/.config/pfd/forwards.yaml", "stale": False, "error": ""},
}
NAMES = ["web", "db-main", "api2"]

TIMEOUT = 60


@pytest.fixture(scope="module")
def completions(source_dir: str) -> str:
    return os.path.join(source_dir, "packaging", "completions")


class FakePfctl:
    """A `pfctl` on PATH that prints canned JSON and appends its arguments to a log."""

    def __init__(self, directory: str, output: str = "", exit_code: int = 0, hang: bool = False):
        self.bin_dir = os.path.join(directory, "bin")
        os.makedirs(self.bin_dir, exist_ok=True)
        self.calls_path = os.path.join(directory, "calls")
        output_path = os.path.join(directory, "output.json")
        with open(output_path, "w") as out:
            out.write(output)
        with open(self.calls_path, "w"):
            pass
        body = "exec sleep 60\n" if hang else f'cat "{output_path}"\nexit {exit_code}\n'
        script = os.path.join(self.bin_dir, "pfctl")
        with open(script, "w") as out:
            out.write(f'#!/bin/sh\necho "$*" >> "{self.calls_path}"\n'
                      f'echo "pfctl: complaint on stderr" >&2\n{body}')
        os.chmod(script, 0o755)

    def env(self) -> Dict[str, str]:
        return dict(os.environ, PATH=f"{self.bin_dir}:/usr/bin:/bin")

    def calls(self) -> List[str]:
        with open(self.calls_path) as calls:
            return calls.read().splitlines()


@pytest.fixture
def fake_pfctl(tmp_dir):
    return FakePfctl(tmp_dir, json.dumps(CANNED_STATUS, indent=1))


# --- bash -----------------------------------------------------------------------------------------

def bash_complete(script: str, function: str, words: List[str],
                  env: Optional[Dict[str, str]] = None) -> List[str]:
    """COMPREPLY after calling `function` with COMP_WORDS=words, the cursor in the last word.
    Fails if the completion printed anything on stderr (it would garble the user's prompt)."""
    driver = ('source "$1"; function=$2; shift 2; COMP_WORDS=("$@"); '
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="${COMP_WORDS[*]}"; '
              'COMP_POINT=${#COMP_LINE}; "$function"; status=$?; '
              'printf "%s\\n" "${COMPREPLY[@]}"; exit $status')
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", driver, "bash", script,
                             function, *words],
                            capture_output=True, text=True, env=env or dict(os.environ),
                            timeout=TIMEOUT)
    assert (result.returncode, result.stderr) == (0, ""), result
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def pfctl_bash(completions: str) -> str:
    return os.path.join(completions, "pfctl.bash")


def test_bash_offers_every_subcommand_pfctl_has(pfctl_bash, pfctl_bin, fake_pfctl):
    offered = bash_complete(pfctl_bash, "_pfctl", ["pfctl", ""], fake_pfctl.env())
    assert offered == help_subcommands(run_help(pfctl_bin, "--help"))
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "st"], fake_pfctl.env()) == \
        ["status", "stop", "start"]
    assert fake_pfctl.calls() == []


@pytest.mark.parametrize("subcommand", ["status", "ls", "restart", "stop", "start", "logs",
                                        "watch", "tap", "reload", "version"])
def test_bash_offers_the_flags_of_each_subcommand(pfctl_bash, pfctl_bin, fake_pfctl, subcommand):
    offered = bash_complete(pfctl_bash, "_pfctl", ["pfctl", subcommand, "-"], fake_pfctl.env())
    expected = set(help_flags(run_help(pfctl_bin, subcommand, "--help"))) | {"--socket"}
    assert sorted(offered) == sorted(expected)


@pytest.mark.parametrize("subcommand", ["status", "ls", "restart", "stop", "start", "logs",
                                        "watch", "tap"])
def test_bash_completes_forward_names_from_pfctl_status_json(pfctl_bash, fake_pfctl, subcommand):
    offered = bash_complete(pfctl_bash, "_pfctl", ["pfctl", subcommand, ""], fake_pfctl.env())
    assert offered == NAMES
    assert fake_pfctl.calls() == ["status -o json"]


def test_bash_completes_names_from_json_printed_on_one_line(pfctl_bash, tmp_dir):
    fake = FakePfctl(tmp_dir, json.dumps(CANNED_STATUS))
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "stop", "d"], fake.env()) == ["db-main"]


def test_bash_does_not_offer_names_already_given(pfctl_bash, fake_pfctl):
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "stop", "web", "api2", ""],
                         fake_pfctl.env()) == ["db-main"]


def test_bash_offers_no_names_after_all_or_after_the_one_logs_takes(pfctl_bash, fake_pfctl):
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "restart", "--all", ""],
                         fake_pfctl.env()) == []
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "logs", "web", ""],
                         fake_pfctl.env()) == []
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "logs", "-f", "--tail", "10", "w"],
                         fake_pfctl.env()) == ["web"]


def test_bash_asks_the_daemon_on_the_socket_given_on_the_command_line(pfctl_bash, fake_pfctl):
    assert bash_complete(pfctl_bash, "_pfctl",
                         ["pfctl", "--socket", "/tmp/other.sock", "start", "w"],
                         fake_pfctl.env()) == ["web"]
    assert bash_complete(pfctl_bash, "_pfctl",
                         ["pfctl", "stop", "--socket", "=", "/tmp/third.sock", "w"],
                         fake_pfctl.env()) == ["web"]
    assert fake_pfctl.calls() == ["--socket /tmp/other.sock status -o json",
                                  "--socket /tmp/third.sock status -o json"]


def test_bash_completes_output_formats(pfctl_bash, fake_pfctl):
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "status", "-o", ""],
                         fake_pfctl.env()) == ["table", "wide", "json"]
    # bash splits "--output=w" at '=' (COMP_WORDBREAKS).
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "status", "--output", "=", "w"],
                         fake_pfctl.env()) == ["wide"]
    assert fake_pfctl.calls() == []


def test_bash_offers_nothing_silently_when_pfd_is_not_running(pfctl_bash, pfctl_bin, tmp_dir):
    # The real pfctl, pointed at a socket nobody listens on, exits 2 with a message on stderr.
    env = dict(os.environ, PATH=f"{os.path.dirname(pfctl_bin)}:/usr/bin:/bin",
               PFD_SOCKET=os.path.join(tmp_dir, "nobody.sock"))
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "stop", ""], env) == []
    assert bash_complete(pfctl_bash, "_pfctl", [pfctl_bin, "logs", ""], env) == []


def test_bash_offers_nothing_silently_when_pfctl_fails_or_is_missing(pfctl_bash, tmp_dir):
    failing = FakePfctl(tmp_dir, "", exit_code=2)
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "stop", ""], failing.env()) == []
    assert failing.calls() == ["status -o json"]
    no_pfctl = dict(os.environ, PATH="/usr/bin:/bin")
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "stop", ""], no_pfctl) == []


def test_bash_gives_up_on_a_pfd_that_does_not_answer(pfctl_bash, tmp_dir):
    hanging = FakePfctl(tmp_dir, hang=True)
    # The completion's own two-second limit ends it; TIMEOUT in bash_complete is only a guard.
    assert bash_complete(pfctl_bash, "_pfctl", ["pfctl", "stop", ""], hanging.env()) == []


def test_bash_pfd_completion_offers_every_flag_and_the_log_levels(completions, pfd_bin):
    script = os.path.join(completions, "pfd.bash")
    offered = bash_complete(script, "_pfd", ["pfd", "-"])
    assert sorted(offered) == sorted(help_flags(run_help(pfd_bin, "--help")))
    assert bash_complete(script, "_pfd", ["pfd", "--log-level", ""]) == \
        ["trace", "debug", "info", "warn", "error", "critical", "off"]
    assert bash_complete(script, "_pfd", ["pfd", "--stop-grace-ms", ""]) == []


def test_bash_pfd_completion_offers_yaml_files_for_config(completions, tmp_dir):
    for name in ["forwards.yaml", "other.yml", "notes.txt"]:
        open(os.path.join(tmp_dir, name), "w").close()
    os.mkdir(os.path.join(tmp_dir, "dir"))
    script = os.path.join(completions, "pfd.bash")
    offered = bash_complete(script, "_pfd", ["pfd", "--config", tmp_dir + "/"])
    assert sorted(offered) == sorted(os.path.join(tmp_dir, name)
                                     for name in ["dir", "forwards.yaml", "other.yml"])


@pytest.mark.parametrize("name", ["pfctl.bash", "pfd.bash"])
def test_bash_completion_registers_itself(completions, name):
    program = name.split(".")[0]
    result = subprocess.run(["bash", "--norc", "-c", 'source "$1" && complete -p "$2"', "bash",
                             os.path.join(completions, name), program],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.stdout.strip() == f"complete -F _{program} {program}"


# --- zsh ------------------------------------------------------------------------------------------

needs_zsh = pytest.mark.skipif(
    shutil.which("zsh") is None,
    reason="zsh is not installed (scripts/install-deps.sh installs it)")


def zsh_complete(completions: str, line: str, env: Dict[str, str]) -> List[str]:
    driver = os.path.join(os.path.dirname(__file__), "zsh_complete.zsh")
    result = subprocess.run(["zsh", "-f", driver, completions, line], capture_output=True,
                            text=True, env=env, timeout=TIMEOUT)
    assert result.returncode == 0, result
    return [match for match in result.stdout.splitlines() if match]


@needs_zsh
@pytest.mark.parametrize("name", ["_pfctl", "_pfd"])
def test_zsh_completion_parses(completions, name):
    result = subprocess.run(["zsh", "-n", os.path.join(completions, name)],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert (result.returncode, result.stderr) == (0, "")


@needs_zsh
def test_zsh_offers_subcommands_and_forward_names(completions, pfctl_bin, fake_pfctl):
    env = fake_pfctl.env()
    assert sorted(zsh_complete(completions, "pfctl ", env)) == \
        sorted(help_subcommands(run_help(pfctl_bin, "--help")))
    assert sorted(zsh_complete(completions, "pfctl stop ", env)) == sorted(NAMES)
    assert zsh_complete(completions, "pfctl stop web api2 ", env) == ["db-main"]
    assert zsh_complete(completions, "pfctl stop --all ", env) == []
    assert zsh_complete(completions, "pfctl --socket /tmp/z.sock logs w", env) == ["web"]
    assert sorted(zsh_complete(completions, "pfctl status -o ", env)) == \
        ["json", "table", "wide"]
    assert "--socket /tmp/z.sock status -o json" in fake_pfctl.calls()


@needs_zsh
def test_zsh_offers_nothing_when_pfd_is_not_running(completions, tmp_dir):
    failing = FakePfctl(tmp_dir, "", exit_code=2)
    assert zsh_complete(completions, "pfctl restart ", failing.env()) == []


@needs_zsh
def test_zsh_pfd_completion_offers_log_levels(completions):
    assert sorted(zsh_complete(completions, "pfd --log-level ", dict(os.environ))) == \
        sorted(["trace", "debug", "info", "warn", "error", "critical", "off"])


# --- fish -----------------------------------------------------------------------------------------

needs_fish = pytest.mark.skipif(
    shutil.which("fish") is None,
    reason="fish is not installed (scripts/install-deps.sh installs it)")


def fish_complete(completions: str, line: str, env: Dict[str, str]) -> List[str]:
    """The candidates `complete -C` prints, without their descriptions."""
    program = line.split()[0]
    script = os.path.join(completions, f"{program}.fish")
    result = subprocess.run(["fish", "--no-config", "-c",
                             'source $argv[1]; complete -C $argv[2]', script, line],
                            capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert (result.returncode, result.stderr) == (0, ""), result
    return [candidate.split("\t")[0] for candidate in result.stdout.splitlines() if candidate]


@needs_fish
@pytest.mark.parametrize("name", ["pfctl.fish", "pfd.fish"])
def test_fish_completion_parses(completions, name):
    result = subprocess.run(["fish", "--no-config", "-n", os.path.join(completions, name)],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert (result.returncode, result.stderr) == (0, "")


@needs_fish
def test_fish_offers_subcommands_and_forward_names(completions, pfctl_bin, fake_pfctl):
    env = fake_pfctl.env()
    assert sorted(fish_complete(completions, "pfctl ", env)) == \
        sorted(help_subcommands(run_help(pfctl_bin, "--help")))
    assert sorted(fish_complete(completions, "pfctl stop ", env)) == sorted(NAMES)
    assert fish_complete(completions, "pfctl stop web api2 ", env) == ["db-main"]
    assert fish_complete(completions, "pfctl stop --all ", env) == []
    assert fish_complete(completions, "pfctl logs web ", env) == []
    assert fish_complete(completions, "pfctl --socket /tmp/f.sock logs w", env) == ["web"]
    assert sorted(fish_complete(completions, "pfctl status -o ", env)) == \
        ["json", "table", "wide"]
    assert "--socket /tmp/f.sock status -o json" in fake_pfctl.calls()


@needs_fish
def test_fish_offers_nothing_when_pfd_is_not_running(completions, tmp_dir):
    failing = FakePfctl(tmp_dir, "", exit_code=2)
    assert fish_complete(completions, "pfctl restart ", failing.env()) == []


@needs_fish
def test_fish_pfd_completion_offers_every_flag(completions, pfd_bin):
    offered = fish_complete(completions, "pfd -", dict(os.environ))
    assert set(help_flags(run_help(pfd_bin, "--help"))) <= set(offered)
