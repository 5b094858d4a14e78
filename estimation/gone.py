"""Registered-but-gone from the register x school link, post-stratified by time in the city.

`school_gone_share` (overcount.py) applies the gone share of registered children aged 7-14 to
every age band of their group. That fails in a predictable direction: people who left without
deregistering stay in the register while they grow older, so the gone pile up in the older
bands and in long register durations, while babies born here are hardly ever gone.

`school_gone_dwell` learns the children's gone share per *dwell class* (time since the last
move into the city on the reference date, or born in the city) and applies it to the dwell
mix of each age band: gone(band) = sum_c registered(band, c) x share_c. The assumption is
weaker: given the group and the time since moving in, a registered adult is gone as often as
a registered child. It still cannot see adults who have been registered longer than any child
(long-gone people who are never removed), so for the oldest bands it leans low; the interval
adds the spread of the class shares as a transfer term for that reason.

Variance: binomial per class (classes independent), the absent-share uncertainty (common to
all classes), and the transfer term: Var_transfer = (registered(band) x sd of the class
shares weighted by the band's mix)^2 - how much the answer would move if the band's gone share
were any of the class shares its members fall into.
"""
from __future__ import annotations

import math

import numpy as np
import polars as pl

from estimation.overcount import ABSENT_SHARE, ABSENT_SHARE_SE
from estimation.result import Z95, Estimate

# Dwell classes in years since zuzug_datum on t; -1 = born in the city (no zuzug_datum).
DWELL_EDGES = (0.0, 1.0, 3.0, 6.0)
DWELL_LABELS = ("born", "<1", "1-3", "3-6", "6+")
MIN_CLASS_CHILDREN = 15   # sparser classes borrow the pooled share of all children
ASSUMPTIONS = (
    "a registered child aged 7-14 who still lives in the city is on the school census list except "
    "an assumed 1.5 % (+-0.75 %) absent; given the group and the time since moving in (or born in "
    "the city), a registered person of any age is gone as often as a registered child; people "
    "registered longer than any child (never removed after leaving long ago) are under-represented"
)


def dwell_class(dwell: pl.Expr) -> pl.Expr:
    """Label of the dwell class; NULL or negative dwell = born in the city."""
    expr = pl.lit(DWELL_LABELS[-1])
    for edge, label in zip(reversed(DWELL_EDGES[1:]), reversed(DWELL_LABELS[1:-1])):
        expr = pl.when(dwell < edge).then(pl.lit(label)).otherwise(expr)
    return pl.when(dwell.is_null() | (dwell < 0)).then(pl.lit("born")).otherwise(expr)


def class_shares(children: pl.DataFrame) -> dict[str, tuple[float, float, float]]:
    """children: registered 7-14 year olds with `dwell_class` and `school` (0/1).
    Returns class -> (gone share, binomial variance, children)."""
    q = 1 - ABSENT_SHARE
    pooled_n = float(children.height)
    pooled_seen = float(children["school"].sum()) if pooled_n else 0.0
    out = {}
    for label in DWELL_LABELS:
        part = children.filter(pl.col("dwell_class") == label)
        n, seen = float(part.height), float(part["school"].sum()) if part.height else 0.0
        if n < MIN_CLASS_CHILDREN:
            n, seen = pooled_n, pooled_seen
        if n == 0:
            out[label] = (math.nan, math.nan, 0.0)
            continue
        p_seen = seen / n
        out[label] = (max(0.0, 1 - p_seen / q), p_seen * (1 - p_seen) / n / q**2, n)
    return out


def school_gone_dwell(band: pl.DataFrame, children: pl.DataFrame) -> Estimate:
    """band: registered persons of the stratum with `dwell_class`; children: the group's
    registered 7-14 year olds with `dwell_class` and `school` (left_before_census removed)."""
    shares = class_shares(children)
    mix = band.group_by("dwell_class").len()
    counts = {r["dwell_class"]: float(r["len"]) for r in mix.iter_rows(named=True)}
    n_band = float(sum(counts.values()))
    warnings = []
    if children.height < 20:
        warnings.append(f"only {children.height} registered children to learn the gone shares from")
    if n_band == 0 or any(math.isnan(shares[c][0]) for c in counts):
        return Estimate(method="school_gone_dwell", quantity="registered_gone", point=math.nan,
                        lower=math.nan, upper=math.nan, assumptions=ASSUMPTIONS,
                        warnings=warnings + ["no registered children: gone share not estimable"])
    point = sum(n * shares[c][0] for c, n in counts.items())
    var_binom = sum(n**2 * shares[c][1] for c, n in counts.items())
    q = 1 - ABSENT_SHARE
    seen_weighted = sum(n * (1 - shares[c][0]) for c, n in counts.items())   # = sum n * p_seen / q
    var_absent = (seen_weighted / q * ABSENT_SHARE_SE) ** 2
    s = np.array([shares[c][0] for c in DWELL_LABELS])
    w = np.array([shares[c][2] for c in DWELL_LABELS])
    spread = float(np.sqrt(np.average((s - np.average(s, weights=w)) ** 2, weights=w))) if w.sum() > 0 else 0.0
    var_transfer = (n_band * spread) ** 2 / max(len(counts), 1)
    se = math.sqrt(var_binom + var_absent + var_transfer)
    return Estimate(
        method="school_gone_dwell", quantity="registered_gone", point=point,
        lower=max(0.0, point - Z95 * se), upper=min(n_band, point + Z95 * se), se=se,
        interval_method="normal; binomial per dwell class + absent-share uncertainty + transfer term "
                        "(spread of the class shares)",
        assumptions=ASSUMPTIONS, warnings=warnings,
        inputs={"registered": n_band, "children": children.height,
                "class_shares": {c: round(shares[c][0], 4) for c in DWELL_LABELS},
                "band_mix": counts, "absent_share": ABSENT_SHARE},
    )
