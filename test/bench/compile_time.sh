#!/usr/bin/env bash
# Compile time of one translation unit that sends a message (blocking, a coroutine that
# co_awaits cfmail::client, and a test through the mock transport): cfmail header-only,
# cfmail with CFMAIL_SEPARATE_COMPILATION (the per-file cost; src.hpp is compiled once per program), and a
# minimal hand-written Beast HTTPS client as the baseline. Prints seconds and ratios.
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
mock_header_only=$(best "$dir/mock_send.cpp")
mock_separate=$(best -DCFMAIL_SEPARATE_COMPILATION "$dir/mock_send.cpp")
src_once=$(best -DCFMAIL_SEPARATE_COMPILATION "$dir/cfmail_src.cpp")

printf '%-52s %8s %8s\n' "translation unit ($cxx -O2, best of $runs)" seconds "x Beast"
printf '%-52s %8s %8s\n' "minimal Beast HTTPS client (baseline)" "$baseline" 1.00
printf '%-52s %8s %8.2f\n' "cfmail, header-only" "$header_only" "$(ratio "$header_only" "$baseline")"
printf '%-52s %8s %8.2f\n' "cfmail, CFMAIL_SEPARATE_COMPILATION" "$separate" "$(ratio "$separate" "$baseline")"
printf '%-52s %8s %8.2f\n' "co_await client.async_send, header-only" "$co_header_only" \
  "$(ratio "$co_header_only" "$baseline")"
printf '%-52s %8s %8.2f\n' "co_await client.async_send, CFMAIL_SEPARATE_COMPILATION" \
  "$co_separate" "$(ratio "$co_separate" "$baseline")"
printf '%-52s %8s %8.2f\n' "send through the mock, header-only" "$mock_header_only" \
  "$(ratio "$mock_header_only" "$baseline")"
printf '%-52s %8s %8.2f\n' "send through the mock, CFMAIL_SEPARATE_COMPILATION" \
  "$mock_separate" "$(ratio "$mock_separate" "$baseline")"
printf '%-52s %8s %8.2f\n' "cfmail/src.hpp (once per program)" "$src_once" "$(ratio "$src_once" "$baseline")"
