#!/usr/bin/env bash
# Import benchmark (issue 17): generated long CSV files in German number format of 100,000,
# 1,000,000 and 5,000,000 rows, each in the same run
#   - imported by `zielwerk import` into a fresh demo database, first and again (the same file:
#     nothing changes), on SQLite and on PostgreSQL (a throwaway cluster from Debian's binaries),
#   - loaded by DuckDB's read_csv into a table, `wert` read as DOUBLE (DuckDB from PyPI),
#   - loaded by the sqlite3 shell's .import plus one INSERT … SELECT into a table with a unique
#     index on the key, in one transaction,
# with wall time, rows per second and peak memory (RSS, /usr/bin/time), and the bytes per stored
# value; and the reading and checking alone (crates/ingest/examples/parse.rs). After the largest
# file: ten changed values into that database, on both backends.
#
#   bench/import.sh
#   SIZES="100000 1000000" BACKENDS=sqlite bench/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
SIZES="${SIZES:-100000 1000000 5000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb

cargo build --release --locked -p zielwerk
cargo build --release --locked -p zielwerk-ingest --example parse
bin="$CARGO_TARGET_DIR/release/zielwerk"
dir="$(mktemp -d)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; pg_as=(runuser -u postgres --); fi
cleanup() {
  [ -d "$dir/pg" ] && "${pg_as[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

# One line of the table: what, rows, wall time, rows per second, peak RSS.
timed() {
  local label="$1" rows="$2"; shift 2
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
  read -r secs kb < "$dir/time"
  python3 - "$label" "$rows" "$secs" "$kb" <<'PY'
import sys
label, rows, secs, kb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
german = lambda n: f"{n:,.0f}".replace(",", ".")
rate = german(rows / secs) if secs > 0 else "–"
print(f"| {label} | {german(rows)} | {secs:.2f} s | {rate} | {kb / 1024:.0f} MB |")
PY
}

# Rows: stored indicators × months 2005-01 to 2025-12 × breakdown classes, values like "1.234,5",
# Datenstand November 2026 (after every month, before today: both are checked).
generate() {
  python3 - "$1" "$2" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
codes = ["BG", "ELB", "LZB", "INTEGRATIONEN", "ELB_AE", "INTEGRATIONEN_AE", "LZB_AKTIV", "LLU_SUMME",
         "KDU_SUMME", "SUCHT_ZUWEISUNGEN", "SUCHT_WARTEZEIT", "BUT_RUECKSTAND"]
n = 0
with open(path, "w", encoding="utf-8") as f:
    f.write("jobcenter;kennzahl;monat;wert;status;datenstand;aufschluesselung\n")
    k = 0
    while n < rows:
        k += 1
        for c in codes:
            for i in range(252):
                if n >= rows:
                    break
                y, m = 2005 + i // 12, i % 12 + 1
                v = 1000 + (i * 7 + k) % 900000
                f.write(f"t36402;{c};{y}-{m:02d};{v // 1000}.{v % 1000:03d},5;endgültig;01.11.2026;klasse={k}\n")
                n += 1
PY
}

cat > "$dir/duck.py" <<'PY'
import sys, duckdb
con = duckdb.connect()
# `wert` as DOUBLE: with thousands='.' DuckDB's detection reads the column as text otherwise.
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}', delim=';', decimal_separator=',', thousands='.', header=true, types={{'wert': 'DOUBLE'}})")
rows, typ = con.execute("SELECT count(*), typeof(any_value(wert)) FROM t").fetchone()
assert typ == "DOUBLE", typ
PY

cat > "$dir/plain.sh" <<'SH'
# The sqlite3 shell's import of $1 into a fresh database $2: a staging table, then one INSERT …
# SELECT (numbers converted) into a table with a unique index on the key, in one transaction.
rm -f "$2"
sqlite3 "$2" <<SQL
CREATE TABLE t (jobcenter TEXT NOT NULL, kennzahl TEXT NOT NULL, monat TEXT NOT NULL, wert REAL,
                status TEXT NOT NULL, datenstand TEXT NOT NULL, aufschluesselung TEXT NOT NULL);
CREATE UNIQUE INDEX t_key ON t (jobcenter, kennzahl, aufschluesselung, monat);
BEGIN;
.mode csv
.separator ;
.import $1 staging
INSERT INTO t SELECT jobcenter, kennzahl, monat,
                     CAST(replace(replace(wert, '.', ''), ',', '.') AS REAL), status, datenstand,
                     aufschluesselung
FROM staging;
DROP TABLE staging;
COMMIT;
SQL
SH

# Bytes per stored value: the pages of the value table and its indexes over its rows.
sqlite_bytes() {
  sqlite3 "$1" "SELECT (SELECT SUM(pgsize) FROM dbstat WHERE name IN ('observation', 'observation_one_current', 'observation_history')) / (SELECT COUNT(*) FROM observation)"
}

if [[ " $BACKENDS " == *" postgres "* ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${pg_as[@]}" "$pgbin/initdb" -A trust -U zielwerk -E UTF8 --locale=C --no-sync -D "$dir/pg" >/dev/null
  "${pg_as[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" \
    -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" -w start >/dev/null
  psql=("$pgbin/psql" -h 127.0.0.1 -p "$port" -U zielwerk -qtA)
fi
pg_bytes() {
  "${psql[@]}" -d "$1" -c "SELECT pg_total_relation_size('observation') / COUNT(*) FROM observation"
}

"$bin" demo --db "$dir/demo.db" --no-serve >/dev/null 2>&1
last=""
echo "| was | Zeilen | Wandzeit | Zeilen/s | höchster Speicher (RSS) |"
echo "|---|---|---|---|---|"
for n in $SIZES; do
  generate "$dir/werte.csv" "$n"
  timed "Lesen und Prüfen allein (ohne Datenbank)" "$n" "$CARGO_TARGET_DIR/release/examples/parse" "$dir/werte.csv"
  if [[ " $BACKENDS " == *" sqlite "* ]]; then
    cp "$dir/demo.db" "$dir/z.db"
    timed "zielwerk import, SQLite, erster Import" "$n" "$bin" import "$dir/werte.csv" --db "$dir/z.db"
    timed "zielwerk import, SQLite, dieselbe Datei noch einmal" "$n" "$bin" import "$dir/werte.csv" --db "$dir/z.db"
    echo "| … Bytes je gespeichertem Wert (SQLite, Tabelle und Indexe) | | $(sqlite_bytes "$dir/z.db") | | |"
  fi
  timed "DuckDB read_csv in eine Tabelle (wert als DOUBLE)" "$n" python3 "$dir/duck.py" "$dir/werte.csv"
  timed "sqlite3 .import + INSERT … SELECT, eindeutiger Index, eine Transaktion" "$n" bash "$dir/plain.sh" "$dir/werte.csv" "$dir/plain.db"
  if [[ " $BACKENDS " == *" postgres "* ]]; then
    db="zw_$n"
    "${pg_as[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U zielwerk "$db"
    url="postgres://zielwerk@127.0.0.1:$port/$db"
    "$bin" demo --db "$url" --no-serve >/dev/null 2>&1
    timed "zielwerk import, PostgreSQL, erster Import" "$n" "$bin" import "$dir/werte.csv" --db "$url"
    timed "zielwerk import, PostgreSQL, dieselbe Datei noch einmal" "$n" "$bin" import "$dir/werte.csv" --db "$url"
    echo "| … Bytes je gespeichertem Wert (PostgreSQL, Tabelle und Indexe) | | $(pg_bytes "$db") | | |"
  fi
  last="$n"
done

# Ten changed values (a later Datenstand) into the database of the largest file.
{
  echo "jobcenter;kennzahl;monat;wert;status;datenstand;aufschluesselung"
  for m in 01 02 03 04 05 06 07 08 09 10; do echo "t36402;BG;2010-$m;4.321,5;endgültig;15.11.2026;klasse=1"; done
} > "$dir/zehn.csv"
total=$(sqlite3 "$dir/z.db" "SELECT COUNT(*) FROM observation" 2>/dev/null || echo "?")
if [[ " $BACKENDS " == *" sqlite "* ]]; then
  timed "10 geänderte Werte in die SQLite-Datenbank mit $total Werten" 10 "$bin" import "$dir/zehn.csv" --db "$dir/z.db"
fi
if [[ " $BACKENDS " == *" postgres "* ]]; then
  timed "10 geänderte Werte in die PostgreSQL-Datenbank mit $last Werten aus der Datei" 10 "$bin" import "$dir/zehn.csv" --db "postgres://zielwerk@127.0.0.1:$port/zw_$last"
fi
