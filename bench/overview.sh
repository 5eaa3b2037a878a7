#!/usr/bin/env bash
# Load benchmark of the pages that show assessments: a release build serves a database, wrk
# (Debian package) sends requests from a second process over loopback with 50 connections.
#
# Two databases: the demo (Mettmann 2019–2022, Regensburg 2026), and the demo with Mettmann's
# series extended back to January 2005 (18 years of monthly history, as real BA series have).
# For each: the overview, a goal page and the reports page at a mid-year reporting month
# (June 2022) with a unique query per request, so that the page cache never answers; then the
# overview from the page cache, as browsers ask for it (gzip, br).
#
#   bench/overview.sh            # 20 s per run, 50 connections
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
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT

"$bin" demo --db "$dir/demo.db" --no-serve >/dev/null 2>&1
cp "$dir/demo.db" "$dir/history.db"
# Mettmann's stored series from 2005-01 to 2018-12: each calendar month of 2019 taken back a
# year at a time with a gentle trend and seeded noise (KIM milestones exist only for 2022).
python3 - "$dir/history.db" "$dir/history.csv" <<'PY'
import random, sqlite3, sys
db, out = sys.argv[1], sys.argv[2]
rows = sqlite3.connect(db).execute(
    "SELECT indicator_code, month, value, numerator, denominator FROM observation "
    "WHERE jobcenter_id = 't36402' AND breakdown = '' AND is_current = 1 AND month LIKE '2019-%' "
    "AND indicator_code NOT LIKE 'KIM%'").fetchall()
rng = random.Random(2005)
de = lambda x: f"{x:.2f}".replace(".", ",")
with open(out, "w", encoding="utf-8") as f:
    f.write("jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand\n")
    for code, month, value, num, den in rows:
        m = int(month[5:7])
        for year in range(2005, 2019):
            scale = (1 + 0.015 * (2019 - year)) * (1 + rng.gauss(0, 0.02))
            if value is not None:
                f.write(f"t36402;{code};{year}-{m:02d};{de(value * scale)};;;endgültig;31.01.2023\n")
            else:
                n = round(num * scale); d = max(round(den * scale), n, 1)
                f.write(f"t36402;{code};{year}-{m:02d};;{n};{d};endgültig;31.01.2023\n")
PY
"$bin" import "$dir/history.csv" --db "$dir/history.db" | head -1

cat > "$dir/unique.lua" <<'LUA'
-- Every request its own query: the page cache never answers.
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
serve() {
  ZIELWERK_LOG=warn "$bin" serve --db "$1" --bind "127.0.0.1:$PORT" 2>/dev/null &
  server=$!
  for _ in $(seq 100); do
    curl -fs "$base/health" >/dev/null && break
    sleep 0.1
  done
  # Sign in as the demo account „kreis“ (every page needs a session), as a browser would.
  jar="$dir/cookies"
  rm -f "$jar"
  form=$(curl -fs -c "$jar" "$base/anmelden")
  token=$(printf '%s' "$form" | grep -o 'name="_anmeldung" value="[0-9a-f.]*"' | cut -d'"' -f4)
  curl -fs -b "$jar" -c "$jar" -o /dev/null \
    --data "_anmeldung=$token&login=kreis&passwort=zielwerk-demo&weiter=%2F" "$base/anmelden"
  session=$(awk '$6 == "zielwerk_sitzung" { print $7 }' "$jar")
  [ -n "$session" ] || { echo "Anmeldung fehlgeschlagen" >&2; exit 1; }
  cookie="Cookie: zielwerk_sitzung=$session"
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# wrk's summary in one line: requests/s, p50, p99, maximum, errors.
measure() {
  local label="$1"; shift
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 30s -H "$cookie" "$@")
  local rps p50 p99 max errors
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  max=$(awk '$1 == "Latency" { print $4 }' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | paste -sd ';' || true)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "$max" "${errors:-0}"
}

echo "$(nproc) Kerne; wrk -t2 -c$CONNECTIONS -d$DURATION je Zeile"
echo "| Seite | Anfragen/s | p50 | p99 | Maximum | Fehler |"
echo "|---|---|---|---|---|---|"
for db in demo history; do
  serve "$dir/$db.db"
  started=$(date +%s.%N)
  # The first read of an agreement waits for its assessment (every month of its year).
  curl -fs -o /dev/null -H "$cookie" "$base/vereinbarungen/t36402-2022-v1?stand=2022-06"
  printf '| %s: erste Bewertung nach dem Start | %.2f s | | | | |\n' "$db" "$(echo "$(date +%s.%N) - $started" | bc)"
  sleep 2
  agreement="$base/vereinbarungen/t36402-2022-v1"
  measure "$db: Übersicht Juni 2022, ungecacht" -s "$dir/unique.lua" "$agreement?stand=2022-06"
  measure "$db: Zielseite K2 Juni 2022, ungecacht" -s "$dir/unique.lua" "$agreement/ziele/k2?stand=2022-06"
  measure "$db: Berichte, ungecacht" -s "$dir/unique.lua" "$agreement/berichte?x=1"
  wrk -t2 -c"$CONNECTIONS" -d3s -H "$cookie" "$agreement?stand=2022-06" >/dev/null
  measure "$db: Übersicht, Cache, gzip" -H "Accept-Encoding: gzip, br" "$agreement?stand=2022-06"
  # One value revised by a command-line import (another process) while the server runs: how
  # long until the goal page shows the new assessment, and how many pages showed the last one
  # (saying so) before.
  printf 'jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-06;17.123;endgültig;01.12.2026\n' >"$dir/one.csv"
  "$bin" import "$dir/one.csv" --db "$dir/$db.db" >/dev/null
  t0=$(date +%s.%N); last=0
  for i in $(seq 1000); do
    page=$(curl -fs -H "$cookie" "$agreement/ziele/kdu-bg?stand=2022-06&eins=$i")
    if grep -q 'computed pending' <<<"$page"; then last=$((last + 1)); continue; fi
    grep -q '17.123' <<<"$page" && break
  done
  printf '| %s: ein Wert importiert, bis die Zielseite die neue Bewertung zeigt | %.2f s | %s Seiten mit der letzten | | | |\n' \
    "$db" "$(echo "$(date +%s.%N) - $t0" | bc)" "$last"
  stop
done
