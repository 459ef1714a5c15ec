#!/usr/bin/env bash
# ThreadSanitizer on the tests that can be trusted under it (ctest label `tsan`; docs/ARCHITECTURE.md
# says which and why): configures a PFD_TSAN build, builds only those tests (target tsan-tests)
# and runs them. A ThreadSanitizer report fails the test that made it. Extra arguments go to ctest.
# PFD_BUILD_DIR picks the build directory; PFD_CMAKE_ARGS adds cmake options (e.g. a ccache
# launcher). `scripts/tsan.sh --build-only` only builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFD_BUILD_DIR:-$root/build-tsan}
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPFD_TSAN=ON -DPFD_BUILD_BENCH=OFF \
  ${PFD_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)" --target tsan-tests
if [ "${1:-}" = --build-only ]; then
  exit 0
fi
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -L tsan "$@"
