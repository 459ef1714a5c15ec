#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy) over pfd's own sources: daemon/ and client/. Uses the
# compile_commands.json of a configured build (PFD_BUILD_DIR, default build/); extra arguments
# are source files to check instead of all of them. Slow (about 20 s a file: gRPC's headers), so
# it is a tool to run before a change, not a CI step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFD_BUILD_DIR:-$root/build}
if [[ ! -f $build/compile_commands.json ]]; then
  echo "tidy.sh: no $build/compile_commands.json; configure first (scripts/test.sh or cmake --preset dev)" >&2
  exit 2
fi
if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(cd "$root" && git ls-files 'daemon/*.cc' 'client/*.cc')
fi
cd "$root"
run-clang-tidy -quiet -p "$build" -j "$(nproc)" "${files[@]}"
