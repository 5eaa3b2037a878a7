"""The yardstick of bench/records.sh: bench/records.sql over a directory of record files, on as
many threads as zielwerk uses; writes the components and figures in the layout of
crates/records/examples/compute.rs and prints the time of the SQL alone to standard error.

    python3 bench/records_duckdb.py DIR OUT
"""
import os
import sys
import time

import duckdb

directory, out = sys.argv[1], sys.argv[2]
sql = open(os.path.join(os.path.dirname(__file__), "records.sql")).read().replace(":dir", directory)
con = duckdb.connect()
con.execute(f"SET threads = {os.cpu_count()}")
start = time.perf_counter()
con.execute(sql)
computed = time.perf_counter() - start
columns = [
    "llu_summe", "kdu_summe", "elb", "elb_zugang", "elb_abgang", "integrationen", "zugang_minijob",
    "zugang_oeff_besch", "integrationen_svb", "integrationen_svb_kontinuierlich", "elb_ae",
    "integrationen_ae", "lzb", "integrationen_lzb", "lzb_aktiv", "lzb_zugang", "lzb_abgang",
]
figures = ["k1", "k1e1", "k1e2", "k1e3", "k1e4", "k2", "k2e1", "k2e2", "k2e3", "k2e4", "k3",
           "k3e1", "k3e2", "k3e3", "k3e4"]
con.execute(
    f"""COPY (
        SELECT c.jobcenter, strftime(DATE '2019-01-01' + to_months(c.i), '%Y-%m') AS monat,
               {", ".join("c." + c for c in columns)}, {", ".join("f." + f for f in figures)}
        FROM components c JOIN figures f USING (jobcenter, i)
        ORDER BY c.jobcenter, c.i
    ) TO '{out}' (HEADER, DELIMITER ',')"""
)
total = time.perf_counter() - start
print(f"duckdb: SQL {computed:.2f} s, mit Ausgabe {total:.2f} s", file=sys.stderr)
