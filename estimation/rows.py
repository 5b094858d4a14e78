"""Mart rows: one per stratum x method x quantity, aggregates only (no person-level column)."""

from __future__ import annotations

import json
import math

from estimation.intervals import positive_count_interval
from estimation.result import Z95, Estimate, not_estimable


def resident_rows(stratum: dict, total: Estimate, n_reg: float, gone: Estimate, net: bool = False) -> list[dict]:
    """Residents and unregistered = residents - (registered - gone) for one method."""
    out = [row(stratum, total, n_reg)]
    if total.estimable and not gone.estimable:
        why = gone.details.get("not_estimable", "no number")
        out.append(
            row(
                stratum,
                not_estimable(
                    total.method,
                    "unregistered",
                    f"unregistered = residents - (registered - gone) needs the gone ({why})",
                    assumptions=total.assumptions,
                    inputs=total.inputs,
                ),
                n_reg,
            )
        )
        return out
    reg_present = n_reg - gone.point
    se_g = gone.se or 0.0
    point = total.point - reg_present
    lower = point - math.hypot(total.point - total.lower, gone.upper - gone.point)
    upper = point + math.hypot(total.upper - total.point, gone.point - gone.lower)
    interval = "; minus registered present (distances of the gone added in quadrature)"
    if not net and point >= 0:
        # a count of people: on the log scale (estimation/intervals.py), never below 0 by construction
        se = max(point - lower, upper - point) / Z95 if math.isfinite(upper) else math.inf
        lower, upper = positive_count_interval(point, se)
        interval += ", log scale"
    unreg = Estimate(
        method=total.method,
        quantity="unregistered",
        point=point,
        lower=lower,
        upper=upper,
        se=math.sqrt((total.se or 0) ** 2 + se_g**2),
        interval_method=total.interval_method + interval,
        assumptions=total.assumptions,
        warnings=list(total.warnings) + (gone.warnings if net else []),
        inputs=total.inputs,
        details=total.details,
    )
    out.append(row(stratum, unreg, n_reg))
    return out


def row(stratum: dict, e: Estimate, n_reg: float) -> dict:
    return {
        **stratum,
        "method": e.method,
        "quantity": e.quantity,
        "registered": n_reg,
        "point": finite(e.point),
        "lower": finite(e.lower),
        "upper": finite(e.upper),
        "se": finite(e.se),
        "interval_method": e.interval_method,
        "assumptions": e.assumptions,
        "warnings": "; ".join(e.warnings),
        "valid": e.valid,
        "status": "estimated" if e.estimable else "not_estimable",
        "model": ",".join(e.details.get("model", [])) if e.method == "mse_loglinear" else None,
        "inputs": json.dumps(e.inputs, sort_keys=True, default=str),
        "alternatives": json.dumps(e.details.get("alternatives", []), default=str),
    }


def finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None
