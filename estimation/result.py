"""The one result type every method returns, so marts and validation treat all methods alike."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
NOT_ESTIMABLE = "not estimable"  # prefix of the warning that says why a result has no number


@dataclass
class Estimate:
    """A point estimate with its 95 % interval, method and the assumptions it rests on.

    `quantity` says what is estimated: `residents` (people really living in the stratum),
    `unregistered` (living there, not in the register) or `registered_gone` (in the register,
    no longer living there). Inputs (e.g. n1, n2, m) stay in `inputs` so that a rate keeps its
    numerator and denominator beside it.
    """

    method: str
    quantity: str
    point: float
    lower: float
    upper: float
    se: float | None = None
    interval_method: str = ""
    assumptions: str = ""
    warnings: list[str] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    @property
    def estimable(self) -> bool:
        """False when the method is not defined for these counts (point is NaN, reason in warnings)."""
        return self.point is not None and math.isfinite(self.point)

    @property
    def valid(self) -> bool:
        """True when no warning was raised (the estimate may be published without caveat)."""
        return not self.warnings

    def covers(self, truth: float) -> bool:
        return self.lower <= truth <= self.upper

    def to_row(self, **stratum) -> dict:
        """Flat row for a table; `inputs` and `details` go in as JSON text."""
        row = {**stratum, **asdict(self)}
        row["warnings"] = "; ".join(self.warnings)
        row["inputs"] = json.dumps(self.inputs, sort_keys=True, default=_json_default)
        row["details"] = json.dumps(self.details, sort_keys=True, default=_json_default)
        row["valid"] = self.valid
        return row


def not_estimable(
    method: str,
    quantity: str,
    reason: str,
    *,
    assumptions: str = "",
    inputs: dict | None = None,
    warnings: list[str] | tuple = (),
) -> Estimate:
    """A result without a number: the method is not defined for this stratum's counts (zero
    overlap, no children, a single list, ...). Point and interval are NaN (NULL in the marts) and
    the first warning says why, so a stratum never ends a build and never looks estimated."""
    return Estimate(
        method=method,
        quantity=quantity,
        point=math.nan,
        lower=math.nan,
        upper=math.nan,
        se=None,
        interval_method=NOT_ESTIMABLE,
        assumptions=assumptions,
        warnings=[f"{NOT_ESTIMABLE}: {reason}", *warnings],
        inputs=dict(inputs or {}),
        details={"not_estimable": reason},
    )


def _json_default(obj):
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def finite_or_nan(x) -> float:
    x = float(x)
    return x if math.isfinite(x) else math.nan


def guarded(method: str, quantities: tuple[str, ...], fn, *args, **kwargs):
    """fn(*args, **kwargs), or - when it fails on arithmetic (a domain error, a division by zero,
    a singular fit) - one not-estimable result per quantity with the error as the reason.

    The last line of defence so that one odd stratum cannot end the build for every city; the
    known degenerate cases are handled inside the methods with their own reasons, and a failure
    caught here is logged so it gets fixed at the root.
    """
    try:
        return fn(*args, **kwargs)
    except (ArithmeticError, ValueError) as exc:  # ArithmeticError: ZeroDivision, Overflow, FloatingPoint
        reason = f"{method} failed on this stratum's counts ({type(exc).__name__}: {exc})"
        logging.getLogger("estimation").warning(reason)
        out = tuple(not_estimable(method, q, reason) for q in quantities)
        return out if len(out) > 1 else out[0]
