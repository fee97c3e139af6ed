#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), builds cfmail with CMake and with Meson, and
# runs every test. `--quick` runs the CMake build and its tests only.
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
cfmail_install_missing

jobs=${CFMAIL_JOBS:-2}

echo "== CMake (header-only)"
cmake -S "$top" -B "$build/cmake" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCFMAIL_WERROR=ON
cmake --build "$build/cmake" -j "$jobs"
echo "== reference (Doxygen; any undocumented public name fails)"
cmake --build "$build/cmake" --target doc
(cd "$build/cmake" && ctest --output-on-failure --timeout 900)

if [ "$quick" -eq 1 ]; then
  exit 0
fi

echo "== Meson (separate compilation)"
if [ -d "$build/meson" ]; then
  meson setup --reconfigure "$build/meson" "$top" -Dwerror=true
else
  meson setup "$build/meson" "$top" -Dwerror=true
fi
meson compile -C "$build/meson" -j "$jobs"
meson test -C "$build/meson" --print-errorlogs --timeout-multiplier 2

echo "test/run.sh: all builds and tests passed"
