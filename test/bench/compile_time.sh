#!/usr/bin/env bash
# Compile time of one translation unit that sends a message (blocking, a coroutine that
# co_awaits cfmail::client, and a test through the mock transport): cfmail header-only, cfmail
# with CFMAIL_SEPARATE_COMPILATION (the per-file cost; src.hpp is compiled once per program),
# and a minimal hand-written Beast HTTPS client as the yardstick. Also the floor of any
# coroutine file: Asio co_spawning a coroutine that does nothing. Prints seconds, ratios and the
# targets of doc/packaging.md ("Compile times"). RUNS (default 3) sets how many times each unit
# is compiled; the best time counts.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$top/test/bench/compile"
cxx=${CXX:-c++}
flags=(-std=c++20 -O2 -I"$top/include" -c -o /dev/null)
runs=${RUNS:-3}

best() { # best wall-clock seconds of $runs compilations
  local best_s=999999 s start
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    "$cxx" "${flags[@]}" "$@"
    s=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')
    best_s=$(awk -v a="$s" -v b="$best_s" 'BEGIN { print (a < b) ? a : b }')
  done
  printf '%.2f' "$best_s"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }

baseline=$(best "$dir/beast_https_minimal.cpp")
header_only=$(best "$dir/send_one.cpp")
separate=$(best -DCFMAIL_SEPARATE_COMPILATION "$dir/send_one.cpp")
co_header_only=$(best "$dir/co_await_send.cpp")
co_separate=$(best -DCFMAIL_SEPARATE_COMPILATION "$dir/co_await_send.cpp")
coroutine_floor=$(best "$dir/asio_coroutine_floor.cpp")
mock_header_only=$(best "$dir/mock_send.cpp")
mock_separate=$(best -DCFMAIL_SEPARATE_COMPILATION "$dir/mock_send.cpp")
src_once=$(best -DCFMAIL_SEPARATE_COMPILATION "$dir/cfmail_src.cpp")

# target: "x LIMIT" (at most LIMIT times the baseline), "s LIMIT" (at most LIMIT seconds) or "-".
row() { # name seconds target
  local name=$1 s=$2 target=$3 ratio mark=""
  ratio=$(ratio "$s" "$baseline")
  case "$target" in
    x*) mark=$(awk -v r="$ratio" -v t="${target#x }" 'BEGIN { print (r <= t) ? "ok" : "MISS" }')
        target="<= ${target#x }x" ;;
    s*) mark=$(awk -v v="$s" -v t="${target#s }" 'BEGIN { print (v <= t) ? "ok" : "MISS" }')
        target="<= ${target#s } s" ;;
    *) target="" ;;
  esac
  if [ "$mark" = MISS ]; then missed+=("$name"); fi
  printf '%-58s %8s %8.2f %10s %4s\n' "$name" "$s" "$ratio" "$target" "$mark"
}
missed=()
printf '%-58s %8s %8s %10s\n' "translation unit ($cxx -O2, best of $runs)" seconds "x Beast" target
row "minimal Beast HTTPS client (the yardstick)" "$baseline" -
row "blocking send, header-only" "$header_only" "x 1.1"
row "blocking send, CFMAIL_SEPARATE_COMPILATION" "$separate" "s 3"
row "co_await client.async_send, header-only" "$co_header_only" "x 1.1"
row "co_await client.async_send, CFMAIL_SEPARATE_COMPILATION" "$co_separate" "s 3"
row "  floor: Asio co_spawns an empty coroutine (no cfmail)" "$coroutine_floor" -
row "send through the mock, header-only" "$mock_header_only" "s 3"
row "send through the mock, CFMAIL_SEPARATE_COMPILATION" "$mock_separate" "s 3"
row "cfmail/src.hpp (once per program)" "$src_once" "x 1.5"
echo
if [ "${#missed[@]}" -eq 0 ]; then
  echo "targets missed: none"
else
  printf 'targets missed: %s' "${missed[0]}"
  for name in "${missed[@]:1}"; do printf '; %s' "$name"; done
  echo
fi
