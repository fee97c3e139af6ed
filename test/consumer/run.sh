#!/usr/bin/env bash
# Builds and runs consumer projects of cfmail the ways users do: an installed package found by
# CMake's find_package and by pkg-config, add_subdirectory, FetchContent, and a Meson
# subproject. Usage: test/consumer/run.sh WORK_DIR
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${1:?usage: run.sh WORK_DIR}
rm -rf "$work"
mkdir -p "$work"
consumer="$top/test/consumer"

echo "== install into a temporary prefix"
cmake -S "$top" -B "$work/cfmail" -G Ninja -DCFMAIL_BUILD_TESTS=OFF -DCFMAIL_BUILD_EXAMPLES=OFF \
  -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
cmake --install "$work/cfmail" >/dev/null
test -f "$work/prefix/share/cmake/cfmail/cfmailConfig.cmake"
test -f "$work/prefix/share/cmake/cfmail/cfmailConfigVersion.cmake"

for mode in find_package add_subdirectory fetchcontent; do
  echo "== CMake consumer: $mode"
  cmake -S "$consumer" -B "$work/$mode" -G Ninja -DCFMAIL_CONSUMER_MODE=$mode \
    -DCFMAIL_SOURCE_DIR="$top" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
  cmake --build "$work/$mode" >/dev/null
  "$work/$mode/consumer"
done

echo "== Conan test_package, built with plain CMake against the installed package"
python3 -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' \
  "$top/test/conan/conanfile.py" "$top/test/conan/test_package/conanfile.py"
cmake -S "$top/test/conan/test_package" -B "$work/conan-test-package" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/conan-test-package" >/dev/null
"$work/conan-test-package/test_package"

echo "== pkg-config consumer"
export PKG_CONFIG_PATH="$work/prefix/share/pkgconfig"
# shellcheck disable=SC2046
c++ "$consumer/main.cpp" -o "$work/pkgconfig-consumer" $(pkg-config --cflags --libs cfmail)
"$work/pkgconfig-consumer"

echo "== Meson subproject consumer"
mkdir -p "$work/meson-consumer/subprojects"
ln -s "$top" "$work/meson-consumer/subprojects/cfmail"
cp "$consumer/main.cpp" "$work/meson-consumer/"
cat > "$work/meson-consumer/meson.build" <<'MESON'
project('cfmail-consumer', 'cpp', default_options: ['cpp_std=c++20'])
cfmail = dependency('cfmail', fallback: ['cfmail', 'cfmail_dep'])
executable('consumer', 'main.cpp', dependencies: cfmail, cpp_args: ['-DCFMAIL_CONSUMER_HTTPS'])
MESON
meson setup "$work/meson-consumer/build" "$work/meson-consumer" >/dev/null
meson compile -C "$work/meson-consumer/build" >/dev/null
"$work/meson-consumer/build/consumer"
echo "consumers: all built and ran"
