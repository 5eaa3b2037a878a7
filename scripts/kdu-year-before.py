#!/usr/bin/env python3
"""Writes a SYNTHETIC year-earlier twin of the BA housing-cost file of Jobcenter Mettmann, so
that the household-size decomposition can be tried on data of the real shape:

    python3 scripts/kdu-year-before.py \
        ../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv \
        > crates/demo/data/synthetisch_t36402_202504_household_size.csv

The figures are invented, not the BA's: counts per household size are the real April 2026
counts divided by a growth factor per size (fewer large households a year earlier, so the mix
shifts), amounts per size the real ones divided by a price factor per size. Totals are formed
the way the BA forms them: counts add up over the sizes, the KdU per BG with recognised KdU is
the mean of the sizes weighted by BG with recognised KdU, rounded to four places. Measures the
BA weights by a count it does not publish (actual costs, per square metre, per person) get the
mean price factor on their total."""
import csv
import sys

SIZES = ["1_person", "2_persons", "3_persons", "4_persons", "5_persons", "6_or_more_persons"]
# April 2026 ÷ April 2025, per size.
COUNT_GROWTH = [1.030, 1.010, 0.985, 0.970, 0.960, 0.950]
PRICE_GROWTH = [1.045, 1.050, 1.040, 1.055, 1.060, 1.035]

rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
fields = list(rows[0].keys())
by_measure = {r["measure"]: r for r in rows}


def counts(row):
    out = [round(float(row[s]) / g) for s, g in zip(SIZES, COUNT_GROWTH)]
    return out, sum(out)


weights, _ = counts(by_measure["bg_stock_with_recognised_kdu"])
mean_price_growth = sum(PRICE_GROWTH) / len(PRICE_GROWTH)
out = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
out.writeheader()
for r in rows:
    new = dict(r)
    new["reference_month"] = "2025-04"
    if r["measure"].startswith("bg_stock"):
        values, total = counts(r)
        new.update({s: f"{v:.4f}" for s, v in zip(SIZES, values)})
        new["total"] = f"{total:.4f}"
    else:
        values = [round(float(r[s]) / g, 4) for s, g in zip(SIZES, PRICE_GROWTH)]
        new.update({s: f"{v:.4f}" for s, v in zip(SIZES, values)})
        if r["measure"].startswith("recognised_") and r["measure"].endswith("_eur_per_bg"):
            mean = sum(v * w for v, w in zip(values, weights)) / sum(weights)
            new["total"] = f"{round(mean, 4):.4f}"
        else:
            new["total"] = f"{round(float(r['total']) / mean_price_growth, 4):.4f}"
    out.writerow(new)
