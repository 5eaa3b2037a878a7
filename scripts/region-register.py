#!/usr/bin/env python3
"""Writes the region register of migration 0009 (the 400 Kreise, 16 Länder and the Bund) from
the INKAR file in ../shared/data/real/inkar/, so that the register's provenance is a command:

    python3 scripts/region-register.py ../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv

prints the INSERT statements. Ids: Kreis the five-digit Kreisschlüssel (05158), Land the two
digits (05), Bund DE. Names as the BBSR writes them."""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
regions = {}
for r in rows:
    level, key, name = r["ebene"], r["kennziffer"], r["name"]
    if level == "Bund":
        regions["DE"] = ("bund", name, None)
    elif level == "Bundesländer":
        regions[key] = ("land", name, "DE")
    elif level == "Kreise":
        assert len(key) == 8 and key.endswith("000"), key
        regions[key[:5]] = ("kreis", name, key[:2])


def q(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


order = {"bund": 0, "land": 1, "kreis": 2}
items = sorted(regions.items(), key=lambda kv: (order[kv[1][0]], kv[0]))
print("INSERT INTO region (id, kind, name, parent_id) VALUES")
print(",\n".join(f"    ({q(i)}, {q(k)}, {q(n)}, {q(p)})" for i, (k, n, p) in items) + ";")
