#!/usr/bin/env bash
# Key figures from records at national scale (issue 23): a generated, seeded data set of
# 4,000,000 persons at 400 Jobcenter (crates/records/examples/generate.rs: benefit spells,
# integrations, employment, measures, payments of 100,000 BG) computed into the components and
# the 15 key figures of every Jobcenter and month of 2019–2022, by zielwerk
# (crates/records/examples/compute.rs: reading, sorting, counting on every core, the figures by
# the engine) and, in the same run over the same files, by DuckDB (bench/records.sql, DuckDB from
# PyPI, as many threads). Wall time and peak memory (RSS) by /usr/bin/time; then every value of
# both compared (bench/records_compare.py): components exactly, figures to 1e-8.
#
#   bench/records.sh
#   PERSONS=1000000 SEED=7 bench/records.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
PERSONS="${PERSONS:-4000000}"
SEED="${SEED:-2023}"
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb

cargo build --release --locked -p zielwerk-records --example generate --example compute
bin="$CARGO_TARGET_DIR/release/examples"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

"$bin/generate" "$dir/data" "$PERSONS" "$SEED"
echo "Datensatz: $PERSONS Personen, Seed $SEED"
wc -l "$dir"/data/*.csv | sed 's/^/  /'
du -sh "$dir/data" | sed 's/^/  /'

run() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
  read -r secs kb < "$dir/time"
  printf '| %s | %s s | %d MB |\n' "$label" "$secs" "$((kb / 1024))"
  sed 's/^/    /' "$dir/err" >&2
}
echo
echo "| was | Zeit (wall) | Spitze RSS |"
echo "|---|---|---|"
run "zielwerk (crates/records)" "$bin/compute" "$dir/data" 2019-01 2022-12 2023-06-30 "$dir/zielwerk.csv"
run "DuckDB (bench/records.sql)" python3 bench/records_duckdb.py "$dir/data" "$dir/duckdb.csv"
echo
python3 bench/records_compare.py "$dir/zielwerk.csv" "$dir/duckdb.csv"
