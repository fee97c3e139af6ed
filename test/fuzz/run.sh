#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each on a copy of its seed corpus.
#   test/fuzz/run.sh [SECONDS_PER_TARGET]   (default 15; e.g. 3600 for a long run)
# Any crash, sanitizer finding, leak or broken invariant fails the run; the input that found it
# is left in the work directory as crash-* / leak-* for reproduction.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${CFMAIL_BUILD_DIR:-$top/build}/fuzz
seconds=${1:-15}
jobs=${CFMAIL_JOBS:-2}
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "CFMAIL_JOBS must be a positive number, not '$jobs'" >&2
  exit 2
fi

cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCFMAIL_BUILD_TESTS=OFF -DCFMAIL_BUILD_EXAMPLES=OFF \
  -DCFMAIL_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build" -j "$jobs"

targets=(envelope response validation emulator results mime)
# A failure or an interrupt must not leave a fuzzer running.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

start() { # target: runs it in the background, its exit status into $work/status
  local target=$1 work="$build/run-$1"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp "$top/test/fuzz/corpus/$target"/* "$work/corpus/"
  echo "== fuzz $target for ${seconds}s"
  # -timeout: one slow input is a finding, not a stall of the whole run.
  (status=0
   cd "$work" && "$build/test/fuzz/cfmail-fuzz-$target" -max_total_time="$seconds" \
     -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 corpus \
     >"$work/log" 2>&1 || status=$?
   echo "$status" >"$work/status") &
}

check() { # target: fails the run on a finding, or on a run that looked at nothing
  local target=$1 work="$build/run-$1" status runs
  status=$(cat "$work/status")
  grep -E 'ERROR|SUMMARY' "$work/log" || true
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  if [ "$status" -ne 0 ] || ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
       "$work"/oom-* >/dev/null 2>&1; then
    echo "fuzz $target: exit status $status, finding or failure in $work (log: $work/log)" >&2
    exit 1
  fi
  # A target that did not start, or ran nothing, found nothing because it looked at nothing.
  if [ -z "$runs" ] || [ "$runs" -lt 1000 ]; then
    echo "fuzz $target: only '${runs:-no}' executions; see $work/log" >&2
    exit 1
  fi
  echo "fuzz $target: $runs executions, no finding"
}

# As many targets at a time as there are jobs, each on a core of its own.
for ((first = 0; first < ${#targets[@]}; first += jobs)); do
  batch=("${targets[@]:first:jobs}")
  for target in "${batch[@]}"; do start "$target"; done
  wait
  for target in "${batch[@]}"; do check "$target"; done
done
echo "fuzz: no findings"
