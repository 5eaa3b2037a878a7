#!/usr/bin/env bash
# Load benchmark of the region pages and the goal page with its comparison (issue 19) on the
# national demo (`zielwerk demo --bundesweit`: the real INKAR table of 400 Kreise, 16 Länder and
# the Bund, and a generated Jobcenter with ten years of monthly values and a 2022 agreement for
# every Kreis): a release build serves a SQLite database, wrk (Debian package) sends requests
# from a second process over loopback with 50 connections, each request with its own query so
# that no cache answers. The Land views are read as `aufsicht` (the standing of every
# Jobcenter's goals in each row), the goal pages as `kreis`; the goal page "without" is the same
# page on a copy of the database without the published statistic it is compared with.
#
#   bench/regions.sh             # 20 s per run, 50 connections
#   DURATION=60s bench/regions.sh
#
# The yardsticks (issue 19): the Land view over 400 regions uncached p99 under 100 ms; a goal page
# with comparison no more than 20 % slower than without; the time to build the national demo.
# Both backends: SQLite, and PostgreSQL on a throwaway cluster (Debian's binaries); BACKENDS=sqlite
# for one.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
DURATION="${DURATION:-20s}"
BACKENDS="${BACKENDS:-sqlite postgres}"
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
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; pg_as=(runuser -u postgres --); fi
cleanup() {
  [ -n "$server" ] && kill $server 2>/dev/null
  [ -d "$dir/pg" ] && "${pg_as[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

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

start_server() {
  ZIELWERK_LOG=warn "$bin" serve --db "$1" --bind "127.0.0.1:$PORT" 2>/dev/null &
  server=$!
  for _ in $(seq 100); do
    curl -fs "$base/health" >/dev/null && break
    sleep 0.1
  done
}
# The session cookie of `login`.
sign_in() {
  local jar="$dir/cookies-$1" form token session
  form=$(curl -fs -c "$jar" "$base/anmelden")
  token=$(printf '%s' "$form" | grep -o 'name="_anmeldung" value="[0-9a-f.]*"' | cut -d'"' -f4)
  curl -fs -b "$jar" -c "$jar" -o /dev/null \
    --data "_anmeldung=$token&login=$1&passwort=zielwerk-demo&weiter=%2F" "$base/anmelden"
  session=$(awk '$6 == "zielwerk_sitzung" { print $7 }' "$jar")
  [ -n "$session" ] || { echo "Anmeldung als $1 fehlgeschlagen" >&2; exit 1; }
  echo "Cookie: zielwerk_sitzung=$session"
}

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

base="http://127.0.0.1:$PORT"

# Builds the national demo into `db` and a copy without the compared statistic into `ohne`,
# then measures every page on the backend `label`.
bench_backend() {
  local label="$1" db="$2" ohne="$3" started
  started=$(date +%s.%N)
  "$bin" demo --db "$db" --bundesweit --no-serve 2>&1 | grep "Bundesweite Demo"
  printf '%s: Demo mit bundesweiter Demo (leere Datenbank) gebaut in %.1f s\n' "$label" "$(echo "$(date +%s.%N) - $started" | bc)"
  if [ "$label" = SQLite ]; then
    cp "$db" "$ohne"
    sqlite3 "$ohne" "DELETE FROM observation WHERE indicator_code = 'D_UNTERKUNFT_LSTG'; VACUUM;"
  else
    "${psql[@]}" -d postgres -c "CREATE DATABASE zw_ohne TEMPLATE zw"
    "${psql[@]}" -d zw_ohne -c "DELETE FROM observation WHERE indicator_code = 'D_UNTERKUNFT_LSTG'"
  fi
  start_server "$db"
  aufsicht=$(sign_in aufsicht)
  kreis=$(sign_in kreis)
  # The first view of the Bund computes every agreement's assessment; timed until none is pending.
  started=$(date +%s.%N)
  # The pages show kept assessments only; the worker computes them after the start. Measured from
  # the first view until the Bund view shows every standing, and only then the load.
  local page
  while true; do
    page=$(curl -fs -H "$aufsicht" "$base/regionen/DE?kennzahl=D_UNTERKUNFT_LSTG&jahr=2022" || true)
    if [ -n "$page" ] && ! grep -q "wird noch berechnet" <<<"$page"; then break; fi
    sleep 1
  done
  printf '%s: der Stand aller 400 Jobcenter steht in der Bundesansicht nach %.1f s\n' "$label" "$(echo "$(date +%s.%N) - $started" | bc)"
  echo "$(nproc) Kerne; wrk -t2 -c$CONNECTIONS -d$DURATION je Zeile; $label"
  echo "| Seite | Anfragen/s | p50 | p99 | Maximum | Fehler |"
  echo "|---|---|---|---|---|---|"
  cookie="$aufsicht"
  measure "Land NRW (53 Kreise, Stand der Ziele je Jobcenter), ungecacht" -s "$dir/unique.lua" "$base/regionen/05?kennzahl=D_UNTERKUNFT_LSTG&jahr=2022"
  measure "Bund (400 Kreise, Stand der Ziele je Jobcenter), ungecacht" -s "$dir/unique.lua" "$base/regionen/DE?kennzahl=D_UNTERKUNFT_LSTG&jahr=2022"
  measure "Kreis Mettmann mit Vergleichsgruppe, ungecacht" -s "$dir/unique.lua" "$base/regionen/05158?kennzahl=D_UNTERKUNFT_LSTG&jahr=2021"
  cookie="$kreis"
  local goal="$base/vereinbarungen/t36402-2022-v1/ziele/kdu-je-bg?stand=2022-12"
  curl -fs -H "$kreis" "$goal" | grep -q 'id="vergleich-h"' || { echo "Zielseite ohne Vergleich" >&2; exit 1; }
  measure "Zielseite KdU je BG mit Vergleich, ungecacht" -s "$dir/unique.lua" "$goal"
  kill $server; wait $server 2>/dev/null || true
  start_server "$ohne"
  kreis=$(sign_in kreis)
  cookie="$kreis"
  if curl -fs -H "$kreis" "$goal" | grep -q 'id="vergleich-h"'; then
    echo "Zielseite mit Vergleich in der Datenbank ohne Statistik" >&2; exit 1
  fi
  measure "Zielseite KdU je BG ohne Vergleich, ungecacht" -s "$dir/unique.lua" "$goal"
  kill $server; wait $server 2>/dev/null || true
  server=""
}

for backend in $BACKENDS; do
  case "$backend" in
    sqlite) bench_backend SQLite "$dir/z.db" "$dir/ohne.db" ;;
    postgres)
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      "${pg_as[@]}" "$pgbin/initdb" -A trust -U zielwerk -E UTF8 --locale=C --no-sync -D "$dir/pg" >/dev/null
      "${pg_as[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" \
        -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" -w start >/dev/null
      psql=("$pgbin/psql" -h 127.0.0.1 -p "$port" -U zielwerk -qtA)
      "${psql[@]}" -d postgres -c "CREATE DATABASE zw"
      bench_backend PostgreSQL "postgres://zielwerk@127.0.0.1:$port/zw" "postgres://zielwerk@127.0.0.1:$port/zw_ohne"
      ;;
  esac
done
