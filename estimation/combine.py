"""Estimated residents = registered - registered but gone + unregistered, each part with its interval."""

from __future__ import annotations

import math

from estimation.result import Z95, Estimate


def _se(e: Estimate) -> float:
    if e.se is not None and math.isfinite(e.se):
        return e.se
    return (e.upper - e.lower) / (2 * Z95) if math.isfinite(e.upper - e.lower) else math.inf


def residents(registered: float, gone: Estimate, unregistered: Estimate) -> Estimate:
    """Sum of the parts; the two estimated parts taken as independent (normal approximation)."""
    point = registered - gone.point + unregistered.point
    se = math.sqrt(_se(gone) ** 2 + _se(unregistered) ** 2)
    lower = max(point - Z95 * se, registered - gone.upper + unregistered.lower)
    lower = min(lower, point)
    return Estimate(
        method=f"register-{gone.method}+{unregistered.method}",
        quantity="residents",
        point=point,
        lower=lower,
        upper=point + Z95 * se,
        se=se,
        interval_method="normal approximation, parts independent",
        assumptions=f"gone: {gone.assumptions}. unregistered: {unregistered.assumptions}",
        warnings=[*gone.warnings, *unregistered.warnings],
        inputs={"registered": registered, "gone": gone.point, "unregistered": unregistered.point},
    )


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
