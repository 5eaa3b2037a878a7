#!/usr/bin/env bash
# Backup benchmark: a demo database grown to VALUES stored values (default 5,000,000; rows of
# the observation table, inserted by SQL), then in the same run:
#   - `zielwerk backup` of the SQLite file next to `sqlite3 .backup` of it,
#   - `zielwerk restore` of that backup into a fresh SQLite file and into PostgreSQL
#     (a throwaway cluster from Debian's binaries),
#   - `zielwerk backup` from PostgreSQL next to `pg_dump` of the same database.
# Each with wall time and peak memory (RSS, /usr/bin/time).
#
#   bench/backup.sh
#   VALUES=1000000 bench/backup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zielwerk/target}"
VALUES="${VALUES:-5000000}"

cargo build --release --locked -p zielwerk
bin="$CARGO_TARGET_DIR/release/zielwerk"
dir="$(mktemp -d)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_as=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; pg_as=(runuser -u postgres --); fi
cleanup() {
  [ -d "$dir/pg" ] && "${pg_as[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
timed() { local label="$1"; shift; /usr/bin/time -f "| $label | %e s | %M KB |" "$@" >/dev/null 2>"$dir/time.err" || { cat "$dir/time.err" >&2; exit 1; }; tail -1 "$dir/time.err"; }

"$bin" demo --db "$dir/bench.db" --no-serve >/dev/null 2>&1
have=$(sqlite3 "$dir/bench.db" "SELECT COUNT(*) FROM observation")
# More values: Mettmann's BG by (made-up) breakdown classes, months 2005-01 … 2022-12.
sqlite3 "$dir/bench.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $VALUES - $have - 1)
INSERT INTO observation (id, jobcenter_id, indicator_code, month, breakdown, value, numerator,
                         denominator, status, datenstand, source_seq, is_current)
SELECT (SELECT MAX(id) FROM observation) + 1 + i, 't36402', 'BG',
       printf('%04d-%02d', 2005 + (i % 216) / 12, (i % 12) + 1), 'klasse=' || (i / 216),
       1000 + (i * 7919) % 90000 / 10.0, NULL, NULL, 'final', '2023-01-31',
       (SELECT MIN(seq) FROM source), 1
FROM n;
SQL
echo "Datenbank: $(sqlite3 "$dir/bench.db" "SELECT COUNT(*) FROM observation") Werte, $(du -h "$dir/bench.db" | cut -f1)"
echo "| was | Zeit | höchster Speicher (RSS) |"
echo "|---|---|---|"
timed "zielwerk backup (SQLite)" "$bin" backup --db "$dir/bench.db" -o "$dir/sicherung.jsonl"
timed "sqlite3 .backup" sqlite3 "$dir/bench.db" ".backup '$dir/kopie.db'"
echo "| Sicherungsdatei | $(du -h "$dir/sicherung.jsonl" | cut -f1) | |"
timed "zielwerk restore (in SQLite)" "$bin" restore "$dir/sicherung.jsonl" --db "$dir/neu.db"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${pg_as[@]}" "$pgbin/initdb" -A trust -U zielwerk -E UTF8 --locale=C --no-sync -D "$dir/pg" >/dev/null
"${pg_as[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" \
  -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" -w start >/dev/null
"${pg_as[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U zielwerk bench
url="postgres://zielwerk@127.0.0.1:$port/bench"
timed "zielwerk restore (in PostgreSQL)" "$bin" restore "$dir/sicherung.jsonl" --db "$url"
timed "zielwerk backup (PostgreSQL)" "$bin" backup --db "$url" -o "$dir/sicherung-pg.jsonl"
timed "pg_dump (PostgreSQL, Textformat)" "$pgbin/pg_dump" -h 127.0.0.1 -p "$port" -U zielwerk -f "$dir/dump.sql" bench
