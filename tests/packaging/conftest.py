"""Shared fixtures for the packaging tests: where the build and source trees are, the built
binaries, and a throwaway install of the project."""
import shutil
import tempfile

import pytest
from packaging_support import required_env


@pytest.fixture(scope="session")
def source_dir() -> str:
    return required_env("PFD_SOURCE_DIR")


@pytest.fixture(scope="session")
def build_dir() -> str:
    return required_env("PFD_BUILD_DIR")


@pytest.fixture(scope="session")
def pfd_bin() -> str:
    return required_env("PFD_BIN")


@pytest.fixture(scope="session")
def pfctl_bin() -> str:
    return required_env("PFCTL_BIN")


@pytest.fixture(scope="session")
def version() -> str:
    return required_env("PFD_VERSION")


@pytest.fixture
def tmp_dir():
    """A short private directory under /tmp (Unix socket paths must stay under 107 bytes)."""
    path = tempfile.mkdtemp(prefix="pfd-pkg-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)
