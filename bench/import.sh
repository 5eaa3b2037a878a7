#!/usr/bin/env bash
# Import benchmark: a generated long CSV in German number format (default 1,000,000 rows) imported by
# `zielwerk import` into a fresh demo database, next to the same file loaded by DuckDB's read_csv
# into a table (DuckDB from PyPI) as a yardstick. Prints wall time, rows per second and peak memory.
#
#   bench/import.sh            # 1,000,000 rows
#   ROWS=200000 bench/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
ROWS="${ROWS:-1000000}"
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb

cargo build --release --locked -p zielwerk
bin="$CARGO_TARGET_DIR/release/zielwerk"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

# Rows: stored indicators × months 2005-01 to 2025-12 × breakdown classes, values like "1.234,5",
# Datenstand November 2026 (after every month, before today: both are checked).
python3 - "$dir/werte.csv" "$ROWS" <<'PY'
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
echo "Datei: $(wc -l < "$dir/werte.csv") Zeilen, $(du -h "$dir/werte.csv" | cut -f1)"

"$bin" demo --db "$dir/bench.db" --no-serve 2>/dev/null
echo "zielwerk import:"
/usr/bin/time -f "  %e s Wandzeit, höchster Speicher (RSS) %M KB" "$bin" import "$dir/werte.csv" --db "$dir/bench.db" | head -1

echo "DuckDB read_csv in eine Tabelle:"
/usr/bin/time -f "  %e s Wandzeit, höchster Speicher (RSS) %M KB" python3 - "$dir/werte.csv" <<'PY'
import sys, duckdb
con = duckdb.connect()
# `wert` as DOUBLE: with thousands='.' DuckDB's detection reads the column as text otherwise.
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}', delim=';', decimal_separator=',', thousands='.', header=true, types={{'wert': 'DOUBLE'}})")
rows, typ = con.execute("SELECT count(*), typeof(any_value(wert)) FROM t").fetchone()
print(f"   {rows} Zeilen, Spalte wert als {typ}")
PY
