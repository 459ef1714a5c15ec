#!/usr/bin/env bash
# Builds pfd and runs every test (unit, integration, end-to-end against real kubectl) with ctest.
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `scripts/test.sh -R config`.
# PFD_BUILD_DIR picks the build directory; PFD_CMAKE_ARGS adds cmake options
# (e.g. -DPFD_SANITIZE=ON for the ASan+UBSan build CI also runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFD_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${PFD_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
