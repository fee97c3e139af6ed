#!/usr/bin/env bash
# Installs cfmail with the commands of doc/packaging.md, then builds and runs consumer projects
# of cfmail the ways users do: an installed package found by CMake's find_package and by
# pkg-config, add_subdirectory, FetchContent, and a Meson subproject.
# Usage: test/consumer/run.sh WORK_DIR
set -euo pipefail
# CFMAIL_CONSUMER_JOBS bounds each build's parallel jobs (the CTest test sets 2 rather than
# Ninja's default of cores + 2, since another test may run beside it).
build_jobs=()
if [ -n "${CFMAIL_CONSUMER_JOBS:-}" ]; then build_jobs=(-j "$CFMAIL_CONSUMER_JOBS"); fi
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${1:?usage: run.sh WORK_DIR}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
consumer="$top/test/consumer"

echo "== install as doc/packaging.md says"
# The block marked for this script, run as it is in a copy of the source directory (so that
# its build directory is a fresh one), with DESTDIR keeping the prefix it names inside $work.
block=$(awk 'index($0, "test/consumer/run.sh runs the next block") { marked = 1; next }
             marked && /^```/ { if (inside) exit; inside = 1; next }
             inside { print }' "$top/doc/packaging.md")
doc_prefix=$(sed -n 's/.*--prefix \([^ ]*\).*/\1/p' <<<"$block" | head -n 1)
if [ -z "$block" ] || [ -z "$doc_prefix" ]; then
  echo "doc/packaging.md: no marked install block with --prefix" >&2
  exit 1
fi
printf '%s\n' "$block"
mkdir -p "$work/source"
copy_excludes=(--exclude=./.git --exclude='./build*' --exclude='./_build*')
case "$work" in "$top"/*) copy_excludes+=(--exclude="./${work#"$top"/}") ;; esac
tar -C "$top" "${copy_excludes[@]}" -cf - . | tar -C "$work/source" -xf -
(cd "$work/source" && DESTDIR="$work/stage" bash -euo pipefail -c "$block" >/dev/null)
prefix="$work/stage$doc_prefix"
test -f "$prefix/share/cmake/cfmail/cfmailConfig.cmake"
test -f "$prefix/share/cmake/cfmail/cfmailConfigVersion.cmake"
test -f "$prefix/share/pkgconfig/cfmail.pc"
test -f "$prefix/include/cfmail.hpp"
test ! -e "$prefix/bin"
test ! -d "$work/source/build/test" # BUILD_TESTING=OFF turned the tests off

echo "== install without a build, examples configured: no program is installed"
cmake -S "$top" -B "$work/with-examples" -DBUILD_TESTING=OFF >/dev/null
cmake --install "$work/with-examples" --prefix "$work/prefix-with-examples" >/dev/null
test -f "$work/prefix-with-examples/share/cmake/cfmail/cfmailConfig.cmake"
test ! -e "$work/prefix-with-examples/bin"
test ! -d "$work/with-examples/test"

for mode in find_package add_subdirectory fetchcontent; do
  echo "== CMake consumer: $mode"
  cmake -S "$consumer" -B "$work/$mode" -G Ninja -DCFMAIL_CONSUMER_MODE=$mode \
    -DCFMAIL_SOURCE_DIR="$top" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/$mode" "${build_jobs[@]}" >/dev/null
  "$work/$mode/consumer"
  "$work/$mode/consumer_compiled"
done

echo "== Conan test_package, built with plain CMake against the installed package"
python3 -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' \
  "$top/test/conan/conanfile.py" "$top/test/conan/test_package/conanfile.py"
cmake -S "$top/test/conan/test_package" -B "$work/conan-test-package" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/conan-test-package" "${build_jobs[@]}" >/dev/null
"$work/conan-test-package/test_package"

echo "== pkg-config consumer"
export PKG_CONFIG_PATH="$prefix/share/pkgconfig"
# shellcheck disable=SC2046
c++ "$consumer/main.cpp" -o "$work/pkgconfig-consumer" $(pkg-config --cflags --libs cfmail)
"$work/pkgconfig-consumer"

echo "== Meson subproject consumer"
# Without the staged cfmail.pc in sight: the subproject must provide both dependencies.
unset PKG_CONFIG_PATH
mkdir -p "$work/meson-consumer/subprojects"
ln -s "$top" "$work/meson-consumer/subprojects/cfmail"
cp "$consumer/main.cpp" "$work/meson-consumer/"
cat > "$work/meson-consumer/meson.build" <<'MESON'
project('cfmail-consumer', 'cpp', default_options: ['cpp_std=c++20'])
cfmail = dependency('cfmail', fallback: ['cfmail', 'cfmail_dep'])
executable('consumer', 'main.cpp', dependencies: cfmail, cpp_args: ['-DCFMAIL_CONSUMER_HTTPS'])
cfmail_compiled = dependency('cfmail-compiled', fallback: ['cfmail', 'cfmail_compiled_dep'])
executable('consumer_compiled', 'main.cpp', dependencies: cfmail_compiled,
  cpp_args: ['-DCFMAIL_CONSUMER_HTTPS'])
MESON
meson setup "$work/meson-consumer/build" "$work/meson-consumer" >/dev/null
meson compile -C "$work/meson-consumer/build" "${build_jobs[@]}" >/dev/null
"$work/meson-consumer/build/consumer"
"$work/meson-consumer/build/consumer_compiled"
echo "consumers: all built and ran"
