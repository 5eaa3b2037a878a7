#!/usr/bin/env bash
# Load benchmark of the region pages (issue 19) on the real INKAR file (400 Kreise, 16 Länder,
# the Bund, 2007–2022): a release build serves a SQLite database with the demo and INKAR, wrk
# (Debian package) sends requests from a second process over loopback with 50 connections, each
# request with its own query so that no cache answers.
#
#   bench/regions.sh             # 20 s per run, 50 connections
#   DURATION=60s bench/regions.sh
#
# The yardstick (issue 19): the Land view over 400 regions uncached p99 under 100 ms. The
# national demo (400 Jobcenter, ten years of monthly values) and PostgreSQL are not measured
# here yet.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-50}"
PORT="${PORT:-18081}"

if ! command -v wrk >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --locked -p zielwerk
bin="$CARGO_TARGET_DIR/release/zielwerk"
dir="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT

"$bin" demo --db "$dir/z.db" --no-serve >/dev/null 2>&1
started=$(date +%s.%N)
"$bin" import ../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv \
  --mapping mappings/inkar-sgb2-kreise.toml --db "$dir/z.db" 2>/dev/null | head -1
printf 'INKAR importiert in %.1f s\n' "$(echo "$(date +%s.%N) - $started" | bc)"

cat > "$dir/unique.lua" <<'LUA'
local threads, counter = 0, 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function request()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "&n=" .. id .. "-" .. counter)
end
LUA

base="http://127.0.0.1:$PORT"
ZIELWERK_LOG=warn "$bin" serve --db "$dir/z.db" --bind "127.0.0.1:$PORT" 2>/dev/null &
server=$!
for _ in $(seq 100); do
  curl -fs "$base/health" >/dev/null && break
  sleep 0.1
done
jar="$dir/cookies"
form=$(curl -fs -c "$jar" "$base/anmelden")
token=$(printf '%s' "$form" | grep -o 'name="_anmeldung" value="[0-9a-f.]*"' | cut -d'"' -f4)
curl -fs -b "$jar" -c "$jar" -o /dev/null \
  --data "_anmeldung=$token&login=kreis&passwort=zielwerk-demo&weiter=%2F" "$base/anmelden"
session=$(awk '$6 == "zielwerk_sitzung" { print $7 }' "$jar")
[ -n "$session" ] || { echo "Anmeldung fehlgeschlagen" >&2; exit 1; }
cookie="Cookie: zielwerk_sitzung=$session"

measure() {
  local label="$1"; shift
  local out rps p50 p99 max errors
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 30s -H "$cookie" "$@")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  max=$(awk '$1 == "Latency" { print $4 }' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | paste -sd ';' || true)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "$max" "${errors:-0}"
}

echo "$(nproc) Kerne; wrk -t2 -c$CONNECTIONS -d$DURATION je Zeile; SQLite"
echo "| Seite | Anfragen/s | p50 | p99 | Maximum | Fehler |"
echo "|---|---|---|---|---|---|"
measure "Land NRW (53 Kreise), ungecacht" -s "$dir/unique.lua" "$base/regionen/05?kennzahl=D_UNTERKUNFT_LSTG&jahr=2021"
measure "Bund (400 Kreise), ungecacht" -s "$dir/unique.lua" "$base/regionen/DE?kennzahl=D_UNTERKUNFT_LSTG&jahr=2021"
measure "Kreis Mettmann mit Vergleichsgruppe, ungecacht" -s "$dir/unique.lua" "$base/regionen/05158?kennzahl=D_UNTERKUNFT_LSTG&jahr=2021"
