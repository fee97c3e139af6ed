#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), builds cfmail-send and cfmail-emulator, starts
# the emulator over HTTPS with a certificate made now, sends example/hello.eml through it, and
# prints the result and the stored message.
#
#   example/run.sh          through the local emulator
#   example/run.sh --live   through the real API (needs CLOUDFLARE_API_TOKEN,
#                           CLOUDFLARE_ACCOUNT_ID, and CFMAIL_FROM / CFMAIL_TO addresses)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CFMAIL_BUILD_DIR:-$top/build}
live=0
for arg in "$@"; do
  case "$arg" in
    --live) live=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# shellcheck source=../test/deps.sh
. "$top/test/deps.sh"
cfmail_install_missing

cmake -S "$top" -B "$build/cmake" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/cmake" -j "${CFMAIL_JOBS:-2}" --target cfmail-send cfmail-emulator
send="$build/cmake/example/cfmail-send"
emulator="$build/cmake/example/cfmail-emulator"

if [ "$live" -eq 1 ]; then
  : "${CLOUDFLARE_API_TOKEN:?set CLOUDFLARE_API_TOKEN}"
  : "${CLOUDFLARE_ACCOUNT_ID:?set CLOUDFLARE_ACCOUNT_ID}"
  : "${CFMAIL_FROM:?set CFMAIL_FROM to a sender on a domain set up for Email Sending}"
  : "${CFMAIL_TO:?set CFMAIL_TO to the recipient}"
  message=$(mktemp)
  trap 'rm -f "$message"' EXIT
  printf 'From: %s\r\nTo: %s\r\nSubject: Hello from cfmail\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, World!\r\n' \
    "$CFMAIL_FROM" "$CFMAIL_TO" > "$message"
  "$send" --from "$CFMAIL_FROM" --to "$CFMAIL_TO" "$message"
  exit
fi

work=$(mktemp -d)
maildir="$build/example-mail"   # kept after the run, so the stored message can be read
mkdir -p "$maildir"
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1

token=example-token-$RANDOM$RANDOM
"$emulator" --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --maildir "$maildir" --token "$token" > "$work/emulator.out" 2> "$work/emulator.err" &
emulator_pid=$!

base_url=
for _ in $(seq 100); do
  base_url=$(sed -n 's/^listening on \(https:[^ ]*\)$/\1/p' "$work/emulator.out")
  [ -n "$base_url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base_url" ] || { echo "the emulator did not start" >&2; exit 1; }
echo "emulator: $base_url"

echo "sending example/hello.eml:"
# --no-proxy: the emulator is on this machine, whatever proxy the environment names.
CLOUDFLARE_API_TOKEN=$token "$send" --account 023e105f4ecef8ad9ca31a8372d0c353 \
  --from sender@example.com --to recipient@example.com --base-url "$base_url" \
  --ca-file "$work/cert.pem" --no-proxy "$top/example/hello.eml" | tee "$work/result.json"

message_id=$(sed -n 's/.*"message_id":"<\([0-9a-f]*\)@.*/\1/p' "$work/result.json")
stored="$maildir/$message_id.eml"
echo "stored: $stored"
cmp -s "$stored" "$top/example/hello.eml" && echo "the stored message is byte for byte the one sent"
echo "--- $(basename "$stored")"
cat "$stored"
