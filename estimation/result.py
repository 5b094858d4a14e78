"""The one result type every method returns, so marts and validation treat all methods alike."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


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


def _json_default(obj):
    if hasattr(obj, "item"):      # numpy scalars
        return obj.item()
    return str(obj)


def finite_or_nan(x) -> float:
    x = float(x)
    return x if math.isfinite(x) else math.nan
