"""The man pages: groff and man-db format them without a warning, and they document every flag,
subcommand, exit code and config key the programs actually have."""
import gzip
import json
import os
import re
import subprocess
from typing import Set

import pytest
from packaging_support import help_flags, help_subcommands, run_help

PAGES = ["pfd.1", "pfctl.1", "pfd.yaml.5"]


def page_path(build_dir: str, page: str) -> str:
    """The configured page (version filled in) in the build tree."""
    path = os.path.join(build_dir, "packaging", "man", page)
    assert os.path.isfile(path), f"{path} is missing; reconfigure the build"
    return path


def render(path: str) -> str:
    """Plain text: no bold or underline, no hyphenation, and lines too long to be broken, so
    that a flag or a key is always found whole."""
    result = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", "-rLL=1000n", "-rHY=0", path],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def section(text: str, title: str) -> str:
    """The body of the section `title` of a rendered page."""
    match = re.search(rf"^{re.escape(title)}\n(.*?)(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no {title} section"
    return match.group(1)


def mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def schema_keys(schema: dict) -> Set[str]:
    keys: Set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    keys.update(value.keys())
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return keys


@pytest.mark.parametrize("page", PAGES)
def test_groff_formats_the_page_without_warnings(build_dir, page):
    result = subprocess.run(["groff", "-ww", "-z", "-man", page_path(build_dir, page)],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("page", PAGES)
def test_man_formats_the_page_without_warnings(build_dir, page):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MANROFFSEQ="")
    result = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                             page_path(build_dir, page)],
                            capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("page", PAGES)
def test_page_carries_the_project_version_and_its_compressed_copy_matches(build_dir, page,
                                                                          version):
    with open(page_path(build_dir, page)) as configured:
        text = configured.read()
    assert "@" + "PROJECT_VERSION@" not in text
    header = next(line for line in text.splitlines() if line.startswith(".TH "))
    assert f'"pfd {version}"' in header
    # What gets installed is the gzip -9n copy, built by the pfd_man_pages target.
    with gzip.open(page_path(build_dir, page) + ".gz", "rt") as compressed:
        assert compressed.read() == text


def test_pfctl_page_documents_every_subcommand_and_flag(build_dir, pfctl_bin):
    text = render(page_path(build_dir, "pfctl.1"))
    top_help = run_help(pfctl_bin, "--help")
    subcommands = help_subcommands(top_help)
    assert {"status", "logs", "reload"} <= set(subcommands), top_help
    missing = [name for name in subcommands if not mentions(section(text, "COMMANDS"), name)]
    flags = set(help_flags(top_help))
    for name in subcommands:
        flags.update(help_flags(run_help(pfctl_bin, name, "--help")))
    missing += sorted(flag for flag in flags if not mentions(text, flag))
    assert missing == [], "pfctl.1 does not mention these; document them in packaging/man/pfctl.1"


def test_pfctl_page_documents_exit_codes_and_environment(build_dir):
    text = render(page_path(build_dir, "pfctl.1"))
    exit_codes = re.findall(r"^\s+(\d+)\s", section(text, "EXIT STATUS"), re.MULTILINE)
    assert exit_codes == ["0", "1", "2", "3", "64", "126", "127"]
    environment = section(text, "ENVIRONMENT")
    for variable in ["PFD_SOCKET", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "NO_COLOR"]:
        assert mentions(environment, variable), variable


def test_pfd_page_documents_every_flag(build_dir, pfd_bin):
    text = render(page_path(build_dir, "pfd.1"))
    flags = help_flags(run_help(pfd_bin, "--help"))
    assert {"--config", "--socket", "--log-level"} <= set(flags), flags
    options = section(text, "OPTIONS")
    assert [flag for flag in flags if not mentions(options, flag)] == []
    environment = section(text, "ENVIRONMENT")
    for variable in ["PFD_SOCKET", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "NO_COLOR"]:
        assert mentions(environment, variable), variable
    assert mentions(section(text, "SIGNALS"), "SIGHUP")


def test_config_page_documents_every_key_of_the_schema(build_dir, source_dir):
    text = render(page_path(build_dir, "pfd.yaml.5"))
    with open(os.path.join(source_dir, "config", "pfd.schema.json")) as schema_file:
        keys = schema_keys(json.load(schema_file))
    assert {"reloadOnChange", "forwards", "httpGet", "resetAfter"} <= keys
    assert sorted(key for key in keys if not mentions(text, key)) == [], \
        "pfd.yaml.5 does not mention these keys of config/pfd.schema.json"
