# Sourced by test/run.sh and example/run.sh: installs, as root on Debian 12, the packages cfmail
# builds with (plus those given as arguments); otherwise names the missing ones and fails.
cfmail_packages=(
  g++ cmake ninja-build meson pkg-config python3 openssl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libboost-program-options1.81-dev libssl-dev
)

cfmail_install_missing() {
  local missing=() pkg
  for pkg in "${cfmail_packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
