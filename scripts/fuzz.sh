#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan+UBSan) and runs each for SECONDS
# (default 60) on a copy of its seed corpus, two at a time. Exits non-zero if any target found a
# crash, a leak or a timeout, and says where the reproducer is.
# PFD_FUZZ_BUILD_DIR picks the build directory (default build-fuzz); the corpora grow under
# $PFD_FUZZ_BUILD_DIR/fuzz-runs/<target>/corpus across runs, the repository is never written.
# PFD_FUZZ_JOBS targets run at once (default 2). `scripts/fuzz.sh --build-only` only builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_only=false
if [ "${1:-}" = --build-only ]; then
  build_only=true
  shift
fi
seconds=${1:-60}
jobs=${PFD_FUZZ_JOBS:-2}
build=${PFD_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=(config_loader_fuzzer kubectl_output_fuzzer http_response_fuzzer pod_listing_fuzzer)

"$root/scripts/install-deps.sh"

launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# The same settings as the fuzz preset, in a directory of the caller's choosing.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPFD_FUZZ=ON \
  -DPFD_BUILD_TESTS=OFF -DPFD_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)"
if $build_only; then
  exit 0
fi

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Starts one target in the background; its directory holds the corpus, the log and any reproducer.
start() {
  local target=$1 dir=$build/fuzz-runs/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -n "$root/tests/fuzz/corpus/$target/"* "$dir/corpus/"
  local dict=()
  if [ -f "$root/tests/fuzz/$target.dict" ]; then dict=(-dict="$root/tests/fuzz/$target.dict"); fi
  "$build/tests/fuzz/$target" "$dir/corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
    >"$dir/log" 2>&1 &
  pids[$target]=$!
}

declare -A pids
failed=()
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  batch=("${targets[@]:i:jobs}")
  for target in "${batch[@]}"; do start "$target"; done
  for target in "${batch[@]}"; do
    dir=$build/fuzz-runs/$target
    if wait "${pids[$target]}"; then
      # "#N DONE cov: .. ft: .. corp: .." is libFuzzer's last status line.
      echo "$target: ok, $(grep -E '^#[0-9]+.*DONE' "$dir/log" | tail -1 || true)"
    else
      failed+=("$target")
      echo "$target: FAILED; the log's end ($dir/log):"
      tail -n 40 "$dir/log"
      echo "reproducer(s), rerun with: $build/tests/fuzz/$target FILE"
      ls -1 "$dir/artifacts/"* 2>/dev/null || echo "  (none written; see the log)"
    fi
  done
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]}"
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds} s each, no crash, leak or timeout"
