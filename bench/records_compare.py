"""Compares the output of zielwerk (crates/records/examples/compute.rs) with DuckDB's
(bench/records_duckdb.py): every component exactly, every figure to 1e-8 percentage points,
a gap where the other has a gap. Prints how many cells agree and the first differences.

    python3 bench/records_compare.py ZIELWERK.csv DUCKDB.csv
"""
import csv
import sys
from decimal import Decimal

COMPONENTS = 17


def rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return {(r[0], r[1]): r[2:] for r in reader}


ours, theirs = rows(sys.argv[1]), rows(sys.argv[2])
differences = []
cells = 0
if ours.keys() != theirs.keys():
    differences.append(f"verschiedene Zeilen: nur zielwerk {len(ours.keys() - theirs.keys())}, nur DuckDB {len(theirs.keys() - ours.keys())}")
for key in sorted(ours.keys() & theirs.keys()):
    for k, (a, b) in enumerate(zip(ours[key], theirs[key])):
        cells += 1
        if k < COMPONENTS:
            same = Decimal(a).quantize(Decimal("0.01")) == Decimal(b).quantize(Decimal("0.01"))
        elif a == "" or b == "":
            same = a == b
        else:
            same = abs(float(a) - float(b)) <= 1e-8
        if not same:
            differences.append(f"{key[0]} {key[1]} Spalte {k + 3}: zielwerk {a!r}, DuckDB {b!r}")
print(f"{cells} Werte verglichen, {len(differences)} verschieden")
for d in differences[:20]:
    print("  " + d)
sys.exit(1 if differences else 0)
