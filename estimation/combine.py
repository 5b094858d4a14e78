"""Estimated residents = registered - registered but gone + unregistered, each part with its interval."""

from __future__ import annotations

import math

from estimation.result import Z95, Estimate


def _se(e: Estimate) -> float:
    if e.se is not None and math.isfinite(e.se):
        return e.se
    return (e.upper - e.lower) / (2 * Z95) if math.isfinite(e.upper - e.lower) else math.inf


def residents(registered: float, gone: Estimate, unregistered: Estimate) -> Estimate:
    """Sum of the parts, the two estimated parts taken as independent. Each side of the interval
    adds the parts' distances to that side in quadrature (the gone's upper distance lowers the
    residents), so a skewed part (few unregistered, gone near 0) keeps its shape."""
    point = registered - gone.point + unregistered.point
    se = math.sqrt(_se(gone) ** 2 + _se(unregistered) ** 2)
    down = math.hypot(
        _distance(gone.upper, gone.point, gone), _distance(unregistered.point, unregistered.lower, unregistered)
    )
    up = math.hypot(
        _distance(gone.point, gone.lower, gone), _distance(unregistered.upper, unregistered.point, unregistered)
    )
    return Estimate(
        method=f"register-{gone.method}+{unregistered.method}",
        quantity="residents",
        point=point,
        lower=point - down,
        upper=point + up,
        se=se,
        interval_method="the parts' one-sided distances added in quadrature, parts independent",
        assumptions=f"gone: {gone.assumptions}. unregistered: {unregistered.assumptions}",
        warnings=[*gone.warnings, *unregistered.warnings],
        inputs={"registered": registered, "gone": gone.point, "unregistered": unregistered.point},
    )


def _distance(a: float, b: float, e: Estimate) -> float:
    """a - b, or Z95 x se where a limit is missing or infinite."""
    d = a - b
    return d if math.isfinite(d) else Z95 * _se(e)


def unregistered_from_residents(
    total: Estimate, registered_present: float, registered_present_se: float = 0.0
) -> Estimate:
    """Unregistered = estimated residents - registered people still living there."""
    se_t = _se(total)
    se = math.sqrt(se_t**2 + registered_present_se**2) if math.isfinite(se_t) else math.inf
    point = total.point - registered_present
    return Estimate(
        method=total.method,
        quantity="unregistered",
        point=point,
        lower=max(total.lower - registered_present - (Z95 * registered_present_se), 0.0)
        if registered_present_se
        else max(total.lower - registered_present, 0.0),
        upper=total.upper - registered_present + Z95 * registered_present_se,
        se=se,
        interval_method=total.interval_method + "; minus registered present",
        assumptions=total.assumptions,
        warnings=list(total.warnings),
        inputs={**total.inputs, "registered_present": registered_present},
        details=total.details,
    )
