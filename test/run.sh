#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), builds cfmail with CMake and with Meson, and
# runs every test, then a smoke run of the benchmark. `--quick` runs the CMake build and its
# tests only.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CFMAIL_BUILD_DIR:-$top/build}
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) echo "usage: test/run.sh [--quick]"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# shellcheck source=deps.sh
. "$top/test/deps.sh"
# Doxygen for the reference, clang and its runtimes for the fuzzers, tinyproxy for the proxy
# tests.
cfmail_install_missing doxygen clang libclang-rt-14-dev tinyproxy-bin

jobs=${CFMAIL_JOBS:-2}
# Line tables (-g1) are enough for a backtrace; full debug information makes these template-heavy
# files take half as long again to compile.
debug_info=-g1

echo "== CMake (header-only)"
cmake -S "$top" -B "$build/cmake" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCFMAIL_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $debug_info -DNDEBUG"
cmake --build "$build/cmake" -j "$jobs"
echo "== reference (Doxygen; any undocumented public name fails)"
cmake --build "$build/cmake" --target doc
# Tests in parallel: the consumers test compiles (two files at a time) while the integration
# suite mostly waits.
(cd "$build/cmake" && ctest -j "$jobs" --output-on-failure --no-tests=error --timeout 900)

if [ "$quick" -eq 1 ]; then
  exit 0
fi

echo "== Meson (separate compilation)"
if [ -d "$build/meson" ]; then
  meson setup --reconfigure "$build/meson" "$top" -Dwerror=true -Dcpp_args="$debug_info"
else
  meson setup "$build/meson" "$top" -Dwerror=true -Dcpp_args="$debug_info"
fi
meson compile -C "$build/meson" -j "$jobs"
# The CMake stage ran the full 60 s soak; here it checks the other mode, briefly.
CFMAIL_SOAK_SECONDS=10 meson test -C "$build/meson" --print-errorlogs --timeout-multiplier 2

# The unit and integration suites again under sanitizers; any finding fails the run. cfmail is
# compiled once for them (cfmail::compiled), not into every file: instrumented code compiles
# three times slower. AddressSanitizer builds at -O0: its files compile in 84 s instead of 198 s
# at -O1, and the suites, which mostly wait on sockets, barely slow down. ThreadSanitizer keeps
# -O1: unoptimized, its run-time cost would stretch the tests' timing margins.
sanitized() { # name, optimization, flags
  local name=$1 optimization=$2 flags=$3
  echo "== $name"
  cmake -S "$top" -B "$build/$name" -G Ninja -DCMAKE_BUILD_TYPE=None -DCFMAIL_PROGRAMS_COMPILED=ON \
    -DCMAKE_CXX_FLAGS="$optimization $debug_info -fno-omit-frame-pointer $flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
  cmake --build "$build/$name" -j "$jobs" \
    --target cfmail-unit-tests cfmail-integration-tests cfmail-send cfmail-suppressions \
    cfmail-emulator
  # --no-tests=error: a renamed test must not leave this stage running nothing.
  (cd "$build/$name" && CFMAIL_SOAK_SECONDS=10 ctest -R '^(unit|integration)$' \
     --output-on-failure --no-tests=error --timeout 1200)
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
sanitized asan-ubsan -O0 "-fsanitize=address,undefined -fno-sanitize-recover=all"
sanitized tsan -O1 "-fsanitize=thread -Wno-tsan"

echo "== fuzzing (libFuzzer, bounded)"
"$top/test/fuzz/run.sh" "${CFMAIL_FUZZ_SECONDS:-15}"

# The benchmark is not a test (its figures depend on the machine), but it must keep building and
# every client mode must succeed: a tenth of the workloads, once each.
echo "== benchmark smoke run"
CFMAIL_BUILD_DIR="$build" "$top/test/bench/run.sh" --quick

echo "test/run.sh: all builds and tests passed"
