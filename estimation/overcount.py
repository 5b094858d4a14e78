"""Over-count: people in the register who no longer live in the city.

Two sources see them:
1. Reporting lags of outflows. An ex-officio deregistration (AVA, Dutch `vow`) or a late
   deregistration carries the day the person left (`ereignis_datum`) and the day the office
   recorded it (`meldedatum`). On a reference date t everybody who had left by t but is
   recorded after t is still counted. Those recorded by the time of the last delivery are
   counted exactly; those not yet recorded are projected from the lag distribution of
   earlier, complete years (chain-ladder: observed / share of the lag already elapsed).
2. Inspections of problem properties: registered at the address but not found there. The
   not-found share is a ratio estimate over inspected addresses (cluster variance by
   address) and applies only to people registered at problem properties - those addresses
   were chosen because they are problems, so the share says nothing about the rest of the city.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl

from estimation.result import Z95, Estimate, not_estimable

LAG_ASSUMPTIONS = (
    "the lag between leaving and deregistration behaves as in the reference window; people "
    "who leave and are never deregistered within the longest observed lag are not seen"
)
INSPECTION_ASSUMPTIONS = (
    "inspected problem properties are representative of all problem properties of the city "
    "(not of the city as a whole); a registered person not found at inspection has left"
)


def lag_distribution(lags_days: np.ndarray, max_lag_days: int) -> np.ndarray:
    """Empirical CDF F[d] = P(lag <= d) for d = 0..max_lag_days (lags beyond count as never)."""
    lags = np.asarray(lags_days, dtype=int)
    lags = lags[(lags >= 0) & (lags <= max_lag_days)]
    if len(lags) == 0:
        return np.ones(max_lag_days + 1)
    hist = np.bincount(lags, minlength=max_lag_days + 1)
    return np.cumsum(hist) / len(lags)


def lag_overcount(
    events: pl.DataFrame,
    stichtag: date,
    as_of: date | None = None,
    max_lag_days: int = 730,
    reference_events: pl.DataFrame | None = None,
) -> Estimate:
    """Registered-but-gone on `stichtag` from outflow events with their reporting lag.

    `events`: columns `ereignis_datum`, `meldedatum` (DATE), one row per outflow of the stratum
    (AVA and late self-deregistrations). `as_of`: last day covered by the deliveries (default:
    the latest `meldedatum`). The lag distribution comes from events that left at least
    `max_lag_days` before `as_of`, so it is not itself cut short; `reference_events` (e.g. all
    outflows of the city, when the stratum is small) supplies it instead of `events`.
    """
    ev = events.select("ereignis_datum", "meldedatum").drop_nulls()
    if as_of is None:
        as_of = ev["meldedatum"].max() if len(ev) else stichtag
    left = ev["ereignis_datum"].to_numpy().astype("datetime64[D]")
    recorded = ev["meldedatum"].to_numpy().astype("datetime64[D]")
    t, now = np.datetime64(stichtag, "D"), np.datetime64(as_of, "D")
    ref = reference_events.select("ereignis_datum", "meldedatum").drop_nulls() if reference_events is not None else ev
    ref_lag = (ref["meldedatum"] - ref["ereignis_datum"]).dt.total_days().to_numpy()
    ref_left = ref["ereignis_datum"].to_numpy().astype("datetime64[D]")
    ref_window = ref_left <= now - np.timedelta64(max_lag_days, "D")
    warnings = []
    if ref_window.sum() < 30:
        warnings.append(f"only {int(ref_window.sum())} complete outflows to learn the lag from")
    F = lag_distribution(ref_lag[ref_window], max_lag_days) if ref_window.any() else np.ones(max_lag_days + 1)
    known = float(np.sum((left <= t) & (recorded > t)))
    # Departures by day up to t that are recorded so far, and their completion share.
    dep = left[(left <= t) & (left > t - np.timedelta64(max_lag_days, "D"))]
    elapsed = np.clip((now - dep).astype(int), 0, max_lag_days)
    f = np.maximum(F[elapsed], 1e-3)
    pending = float(np.sum((1 - f) / f))
    var = float(np.sum((1 - f) / f**2))
    if f.size and f.min() < 0.2:
        warnings.append("most recent departures largely unrecorded yet: projection dominates")
    point = known + pending
    se = math.sqrt(var)
    return Estimate(
        method="lag_projection",
        quantity="registered_gone",
        point=point,
        lower=max(known, point - Z95 * se),
        upper=point + Z95 * se,
        se=se,
        interval_method="normal, Poisson variance of the projected part; known part exact",
        assumptions=LAG_ASSUMPTIONS,
        warnings=warnings,
        inputs={
            "stichtag": str(stichtag),
            "as_of": str(as_of),
            "known_pending_at_stichtag": known,
            "projected_unrecorded": pending,
            "events": len(ev),
            "reference_events": int(ref_window.sum()),
        },
        details={"median_lag_days": float(np.median(ref_lag[ref_window])) if ref_window.any() else None},
    )


def inspection_ratio(
    properties: pl.DataFrame, registered_at_problem_properties: float | None = None
) -> dict[str, Estimate]:
    """Not-found and not-registered shares at inspected problem properties.

    `properties`: one row per inspected address with `gemeldet_laut_register`,
    `angetroffen_gemeldet`, `angetroffen_nicht_gemeldet`. `registered_at_problem_properties`:
    everybody registered at any problem property of the stratum (inspected or not); when None,
    only the inspected ones are used (no extrapolation).
    Returns {"registered_gone": ..., "unregistered": ...} for the problem properties.
    """
    p = properties.drop_nulls(["gemeldet_laut_register", "angetroffen_gemeldet"])
    R = p["gemeldet_laut_register"].to_numpy().astype(float)
    F = np.minimum(p["angetroffen_gemeldet"].to_numpy().astype(float), R)
    U = p["angetroffen_nicht_gemeldet"].fill_null(0).to_numpy().astype(float)
    n = len(R)
    total_R = R.sum()
    base = float(registered_at_problem_properties) if registered_at_problem_properties is not None else total_R
    base = max(base, total_R)
    out = {}
    for quantity, num in (("registered_gone", R - F), ("unregistered", U)):
        warnings = []
        if n < 5:
            warnings.append(f"only {n} inspected addresses: share very uncertain")
        if total_R == 0:
            out[quantity] = not_estimable(
                "inspection_ratio",
                quantity,
                "nobody registered at the inspected addresses",
                assumptions=INSPECTION_ASSUMPTIONS,
                inputs={"addresses": n},
            )
            continue
        share = num.sum() / total_R
        if n > 1:
            # Ratio-estimator variance with addresses as clusters (persons at one address move together).
            var_share = (n / (n - 1)) * np.sum((num - share * R) ** 2) / total_R**2
        else:
            # One address: no spread between clusters to learn from. Not-found is a share of the
            # registered (binomial); found-unregistered is a count per registered that may exceed
            # 1 (Poisson), where p(1-p) would turn negative.
            var_share = share * (1 - share) / total_R if quantity == "registered_gone" else num.sum() / total_R**2
            warnings.append("one inspected address: variance without the clustering of households, too narrow")
        known = num.sum()
        rest = base - total_R
        point = known + share * rest
        se = rest * math.sqrt(var_share)
        out[quantity] = Estimate(
            method="inspection_ratio",
            quantity=quantity,
            point=point,
            lower=max(known, point - Z95 * se),
            upper=point + Z95 * se,
            se=se,
            interval_method="ratio estimator, cluster variance by address; inspected part exact",
            assumptions=INSPECTION_ASSUMPTIONS,
            warnings=warnings,
            inputs={
                "addresses": n,
                "registered_inspected": total_R,
                "count_inspected": known,
                "share": share,
                "share_se": math.sqrt(var_share),
                "registered_at_problem_properties": base,
            },
        )
    return out


def quarter_ends(start: date, end: date) -> list[date]:
    out, y = [], start.year
    while True:
        for m, d in ((3, 31), (6, 30), (9, 30), (12, 31)):
            q = date(y, m, d)
            if q > end:
                return out
            if q >= start:
                out.append(q)
        y += 1


SCHOOL_ASSUMPTIONS = (
    "a registered child aged 7-14 who still lives in the city is on the school census list "
    "(compulsory schooling) except the group's absent share (estimated from its evidence children); "
    "children leave together with their families, so the children's gone share holds for every age "
    "band of the group"
)


def school_gone_share(
    registered_children: float, registered_pupils: float, absent: tuple[float, float]
) -> tuple[float, float]:
    """Share of registered 7-14 year olds who are gone, from the register x school link.

    gone = registered - registered_pupils / (1 - absent share); variance binomial plus the
    uncertainty of the absent share (mean, sd).
    """
    if registered_children <= 0:
        return math.nan, math.nan
    q = 1 - absent[0]
    share = 1 - registered_pupils / (q * registered_children)  # not cut at 0: unbiased (see gone.py)
    seen = registered_pupils / registered_children
    var = seen * (1 - seen) / registered_children / q**2 + (seen / q**2) ** 2 * absent[1] ** 2
    return share, math.sqrt(var)


def school_gone(
    registered_band: float, share: float, share_se: float, registered_children: float, absent_inputs: dict | None = None
) -> Estimate:
    """Registered-but-gone of an age band = registered(band) x children's gone share. The share is
    not cut at 0 (unbiased); the point is kept within 0 and the registered, and so is the normal
    interval on the uncut product, without its impossible part."""
    warnings = []
    if registered_children < 20:
        warnings.append(f"only {registered_children:g} registered children to learn the gone share from")
    inputs = dict(absent_inputs or {})
    if inputs.get("absent_warning"):
        warnings.append(inputs.pop("absent_warning"))
    raw = registered_band * share
    point = min(max(raw, 0.0), registered_band)
    se = registered_band * share_se
    lower, upper = max(0.0, raw - Z95 * se), min(registered_band, raw + Z95 * se)
    if upper < lower:
        lower = upper = point
    return Estimate(
        method="school_gone_share",
        quantity="registered_gone",
        point=point,
        lower=lower,
        upper=upper,
        se=se,
        interval_method="normal within 0 and the registered; binomial variance of the share plus the absent-share uncertainty",
        assumptions=SCHOOL_ASSUMPTIONS,
        warnings=warnings,
        inputs={
            "registered": registered_band,
            "gone_share_children": share,
            "registered_children": registered_children,
            **inputs,
        },
    )
