"""Intervals of counts that respect what is logically possible instead of a normal interval cut
at 0: a number of unregistered residents is at least 0, and a count of 0 unregistered pupils still
leaves room above. The transformation carries the bound, so an interval never collapses to a
point because it was clipped.

- `positive_count_interval`: a count x >= 0, on the log scale of x + 1/2 (the same half added so
  that a zero count keeps an upper limit; lower limit 0 there).
- `poisson_interval`: the exact (Garwood 1936, Fiducial limits for the Poisson distribution,
  Biometrika 28, 437-442) 95 % interval of a Poisson mean from one observed count.
"""

from __future__ import annotations

import math

from scipy import stats

from estimation.result import Z95


def positive_count_interval(x: float, se: float, z: float = Z95) -> tuple[float, float]:
    """95 % interval of a count x >= 0 with standard error se (log of x + 1/2)."""
    if not (math.isfinite(x) and math.isfinite(se)):
        return 0.0, math.inf
    c = max(x, 0.0) + 0.5
    r = z * se / c
    if r > 700:  # a standard error so large that nothing above 0 is excluded
        return 0.0, math.inf
    f = math.exp(r)
    return max(0.0, c / f - 0.5), c * f - 0.5


def poisson_interval(k: float, level: float = 0.95) -> tuple[float, float]:
    """Exact 95 % interval of a Poisson mean after observing k events (0 gives [0, 3.69])."""
    a = (1 - level) / 2
    lo = 0.0 if k <= 0 else float(stats.chi2.ppf(a, 2 * k) / 2)
    return lo, float(stats.chi2.ppf(1 - a, 2 * k + 2) / 2)
