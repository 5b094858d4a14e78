"""Mart rows: one per stratum x method x quantity, aggregates only (no person-level column)."""

from __future__ import annotations

import json
import math

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
    unreg = Estimate(
        method=total.method,
        quantity="unregistered",
        point=total.point - reg_present,
        lower=total.lower - reg_present - Z95 * se_g,
        upper=total.upper - reg_present + Z95 * se_g,
        se=math.sqrt((total.se or 0) ** 2 + se_g**2),
        interval_method=total.interval_method + "; minus registered present (gone estimate added in quadrature)",
        assumptions=total.assumptions,
        warnings=list(total.warnings) + (gone.warnings if net else []),
        inputs=total.inputs,
        details=total.details,
    )
    if not net:
        unreg.lower = max(unreg.lower, 0.0)
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
