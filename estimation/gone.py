"""Registered-but-gone from the register x school link, post-stratified by time in the city.

`school_gone_share` (overcount.py) applies the gone share of registered children aged 7-14 to
every age band of their group. That fails in a predictable direction: people who left without
deregistering stay in the register while they grow older, so the gone pile up in the older
bands and in long register durations, while babies born here are hardly ever gone.

`school_gone_dwell` learns the children's gone share per *dwell class* (time since the last
move into the city on the reference date, or since birth for the city-born) and applies it to the dwell
mix of each age band: gone(band) = sum_c registered(band, c) x share_c. The assumption is
weaker: given the group and the time since moving in, a registered adult is gone as often as
a registered child. It still cannot see adults who have been registered longer than any
child (long-gone people who are never removed), so for the oldest bands it may lean low, and
babies (00-05) have had less time to leave than children of the same dwell class, so there it
leans high (about x2 on the demo world).

Variance: binomial per class (classes independent), the absent-share uncertainty (common to
all classes), the first inflated by the design effect of households (children of one address leave
together), and the process variance of the band's own gone count - the truth is a
realisation, not the expected share: p(1-p) x sum over addresses of (band members there)^2.
The class shares are not cut at 0 (a class seen at school more often than the absent share
allows gives a negative share), so the band's sum stays unbiased; the point is that sum within
0 and the registered, the interval the normal one on the sum, without its impossible part.

The absent share is the group's own, estimated from its evidence children (absent.py).
Post-stratification of a share by classes: e.g. Holt & Smith (1979), Post stratification,
JRSS A 142, 33-46; the binomial variance with the Agresti & Coull (1998) adjustment (Approximate
is better than "exact" for interval estimation of binomial proportions, Am. Stat. 52, 119-126);
the design effect of clusters: Kish (1965), Survey Sampling, ch. 5.
"""

from __future__ import annotations

import math

import polars as pl

from estimation.absent import absent_share
from estimation.result import Z95, Estimate, not_estimable

# Dwell classes in years since zuzug_datum on t; -1 = born in the city (no zuzug_datum).
DWELL_EDGES = (0.0, 1.0, 3.0, 6.0)
DWELL_LABELS = ("born", "<1", "1-3", "3-6", "6+")
MIN_CLASS_CHILDREN = 15  # sparser classes borrow the pooled share of all children
ASSUMPTIONS = (
    "a registered child aged 7-14 who still lives in the city is on the school census list except "
    "the group's absent share, estimated from its children demonstrably present around t (SGB II, "
    "counselling, recent events); given the group and the time since moving in (or born in "
    "the city), a registered person of any age is gone as often as a registered child; people "
    "registered longer than any child (never removed after leaving long ago) are under-represented"
)


def _prior_absent() -> tuple[float, float, dict]:
    return absent_share(0.0, 0.0)


def dwell_class(dwell: pl.Expr) -> pl.Expr:
    """Label of the dwell class; NULL or negative dwell = born in the city."""
    expr = pl.lit(DWELL_LABELS[-1])
    for edge, label in zip(reversed(DWELL_EDGES[1:]), reversed(DWELL_LABELS[1:-1])):
        expr = pl.when(dwell < edge).then(pl.lit(label)).otherwise(expr)
    return pl.when(dwell.is_null() | (dwell < 0)).then(pl.lit("born")).otherwise(expr)


def class_shares(children: pl.DataFrame, absent: float) -> dict[str, tuple[float, float, float, str]]:
    """children: registered 7-14 year olds with `dwell_class` and `school` (0/1).
    Returns class -> (gone share, variance, children, source). The share is not cut at 0: a class
    whose children are at school more often than 1 - absent gives a negative share, so that the
    band's sum over classes stays unbiased (cutting each class at 0 biased small gone counts
    upward - the German group by several times); `source` is the class itself or
    `pooled` (classes that borrow the pooled share share its error). The variance uses the
    Agresti-Coull adjustment (2 successes and 2 failures added), so that a share of 0 or 1 from
    a handful of children does not come with a variance of 0."""
    q = 1 - absent
    pooled_n = float(children.height)
    pooled_seen = float(children["school"].sum()) if pooled_n else 0.0
    out = {}
    for label in DWELL_LABELS:
        part = children.filter(pl.col("dwell_class") == label)
        n, seen, source = float(part.height), float(part["school"].sum()) if part.height else 0.0, label
        if n < MIN_CLASS_CHILDREN:
            n, seen, source = pooled_n, pooled_seen, "pooled"
        if n == 0:
            out[label] = (math.nan, math.nan, 0.0, source)
            continue
        p_seen = seen / n
        p_adj = (seen + 2) / (n + 4)
        out[label] = (1 - p_seen / q, p_adj * (1 - p_adj) / (n + 4) / q**2, n, source)
    return out


def sum_squared_cluster_sizes(persons: pl.DataFrame) -> float:
    """Sum over addresses of (persons there)^2; persons without an address count alone."""
    if "address" not in persons.columns or persons.is_empty():
        return float(persons.height)
    sizes = persons.group_by("address").len()
    known = sizes.filter(pl.col("address").is_not_null())["len"].cast(pl.Float64)
    alone = sizes.filter(pl.col("address").is_null())["len"].sum()
    return float((known**2).sum() + alone)


def design_effect(persons: pl.DataFrame) -> float:
    """Mean cluster size seen by a person (sum m^2 / sum m): the variance inflation of a share
    when whole households are in or out together."""
    return sum_squared_cluster_sizes(persons) / persons.height if persons.height else 1.0


def school_gone_dwell(
    band: pl.DataFrame, children: pl.DataFrame, absent: tuple[float, float, dict] | None = None
) -> Estimate:
    """band: registered persons of the stratum with `dwell_class`; children: the group's
    registered 7-14 year olds with `dwell_class` and `school` (left_before_census removed);
    absent: (share, sd, inputs) of the group from estimation.absent (default: the prior alone,
    i.e. no evidence - the sensitivity range)."""
    absent_mean, absent_sd, absent_inputs = absent or _prior_absent()
    shares = class_shares(children, absent_mean)
    mix = band.group_by("dwell_class").len()
    # in the fixed order of the classes: the float sums below must not depend on Polars' hash order
    found = {r["dwell_class"]: float(r["len"]) for r in mix.iter_rows(named=True)}
    counts = {c: found[c] for c in DWELL_LABELS if c in found}
    n_band = float(sum(counts.values()))
    warnings = []
    if children.height < 20:
        warnings.append(f"only {children.height} registered children to learn the gone shares from")
    if absent_inputs.get("absent_warning"):
        warnings.append(absent_inputs["absent_warning"])
    if n_band == 0:
        return not_estimable(
            "school_gone_dwell",
            "registered_gone",
            "nobody registered in the stratum",
            assumptions=ASSUMPTIONS,
            warnings=warnings,
        )
    if any(math.isnan(shares[c][0]) for c in counts):
        return not_estimable(
            "school_gone_dwell",
            "registered_gone",
            "no registered children aged 7-14 to learn the gone share from",
            assumptions=ASSUMPTIONS,
            warnings=warnings,
            inputs={"registered": n_band},
        )
    raw = sum(n * shares[c][0] for c, n in counts.items())  # may be < 0 or > n_band: the unbiased sum
    point = min(max(raw, 0.0), n_band)
    # classes that took their share from the same children err together
    by_source: dict[str, list[float]] = {}
    for c, n in counts.items():
        by_source.setdefault(shares[c][3], [0.0, shares[c][1]])[0] += n
    # children of one household leave together: the binomial variance times the design effect
    var_binom = sum(n**2 * var for n, var in by_source.values()) * design_effect(children)
    # the gone of the band are a realisation, not the expected share: process variance,
    # clustered by address as households leave together
    p = min(max(point / n_band, 0.0), 1.0)
    var_process = p * (1 - p) * sum_squared_cluster_sizes(band)
    q = 1 - absent_mean
    seen_weighted = sum(n * (1 - shares[c][0]) for c, n in counts.items())  # = sum n * p_seen / q
    var_absent = (seen_weighted / q * absent_sd) ** 2
    se = math.sqrt(var_binom + var_absent + var_process)
    # normal on the unbiased sum; what lies below 0 or above the registered is impossible and is not
    # part of the interval (the point is the estimate within those bounds)
    lower, upper = max(0.0, raw - Z95 * se), min(n_band, raw + Z95 * se)
    if upper < lower:  # the whole normal interval outside the bounds: the bound itself
        lower = upper = point
    return Estimate(
        method="school_gone_dwell",
        quantity="registered_gone",
        point=point,
        lower=lower,
        upper=upper,
        se=se,
        interval_method="normal on the unbiased sum within 0 and the registered; binomial per dwell class x design effect of households "
        "+ absent-share uncertainty (the group's evidence) + process variance of the band (clustered by address)",
        assumptions=ASSUMPTIONS,
        warnings=warnings,
        inputs={
            "registered": n_band,
            "children": children.height,
            "class_shares": {c: round(shares[c][0], 4) for c in DWELL_LABELS},
            "unbounded_estimate": raw,
            "band_mix": counts,
            **{k: v for k, v in absent_inputs.items() if k != "absent_warning"},
        },
    )
