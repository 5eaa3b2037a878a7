#!/usr/bin/env bash
# Load benchmark of the agreement overview page: a release build serves the demo database,
# wrk (Debian package) sends requests from a second process over loopback with 50 connections.
#
#   bench/overview.sh            # 20 s, 50 connections
#   DURATION=60s bench/overview.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-50}"
PORT="${PORT:-18080}"

if ! command -v wrk >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --locked -p zielwerk
bin="$CARGO_TARGET_DIR/release/zielwerk"
dir="$(mktemp -d)"
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" demo --db "$dir/bench.db" --no-serve 2>/dev/null
ZIELWERK_LOG=warn "$bin" serve --db "$dir/bench.db" --bind "127.0.0.1:$PORT" 2>/dev/null &
server=$!
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.1
done
# Sign in as the demo account „kreis“ (every page needs a session), as a browser would.
base="http://127.0.0.1:$PORT"
jar="$dir/cookies"
form=$(curl -fs -c "$jar" "$base/anmelden")
token=$(printf '%s' "$form" | grep -o 'name="_anmeldung" value="[0-9a-f.]*"' | cut -d'"' -f4)
curl -fs -b "$jar" -c "$jar" -o /dev/null \
  --data "_anmeldung=$token&login=kreis&passwort=zielwerk-demo&weiter=%2F" "$base/anmelden"
session=$(awk '$6 == "zielwerk_sitzung" { print $7 }' "$jar")
[ -n "$session" ] || { echo "Anmeldung fehlgeschlagen" >&2; exit 1; }
cookie="Cookie: zielwerk_sitzung=$session"
url="$base/vereinbarungen/t36402-2022-v1"
bytes=$(curl -fs -H "$cookie" "$url" | wc -c)
echo "Übersichtsseite: $bytes Bytes; $(nproc) Kerne; wrk -t2 -c$CONNECTIONS -d$DURATION"
# Warm-up, then the measured runs: without compression, and as browsers ask (gzip, br).
wrk -t2 -c"$CONNECTIONS" -d3s -H "$cookie" "$url" >/dev/null
echo "--- ohne Kompression (Cache-Treffer)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$cookie" "$url"
echo "--- Accept-Encoding: gzip, br (wie ein Browser; Cache-Treffer)"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$cookie" -H "Accept-Encoding: gzip, br" "$url"
