"""Dual-system (capture-recapture) estimation between two lists, e.g. register and school list.

n1 = size of list 1, n2 = size of list 2, m = persons on both (linked by pseudonym).
Closed population, lists independent, every person equally catchable within the stratum,
no erroneous inclusions (persons on a list who do not belong to the population) and perfect
linkage. Erroneous inclusions in the register (people who left) must be removed from n1
first (`n1_correct`), otherwise the estimate is biased upward.

References:
- Petersen, C. G. J. (1896), The yearly immigration of young plaice into the Limfjord from the
  German Sea, Rep. Danish Biol. Station 6, 1-48; Lincoln, F. C. (1930), Calculating waterfowl
  abundance on the basis of banding returns, USDA Circular 118: N = n1 n2 / m.
- Chapman, D. G. (1951), Some properties of the hypergeometric distribution with applications to
  zoological sample censuses, Univ. California Publ. Statist. 1, 131-160: (n1+1)(n2+1)/(m+1) - 1,
  nearly unbiased once m >= 7 (Robson & Regier 1964, Sample size in Petersen mark-recapture
  experiments, Trans. Amer. Fish. Soc. 93, 215-226).
- Seber, G. A. F. (1970), The effects of trap response on tag recapture estimates, Biometrics 26,
  13-22, and Seber (1982), The Estimation of Animal Abundance, 2nd ed., ch. 3: the variance.
- Chao, A. (1987), Estimating the population size for capture-recapture data with unequal
  catchability, Biometrics 43, 783-791: the log-normal interval on the unseen part.
"""

from __future__ import annotations

import math

from estimation.result import Z95, Estimate, not_estimable

ASSUMPTIONS = (
    "closed population on the reference date; the two lists independent within the stratum; "
    "homogeneous catchability; linkage by pseudonym without error; register corrected for "
    "people who left (erroneous inclusions) where given"
)
MIN_OVERLAP = 7  # Robson & Regier (1964): bias of Chapman small once m >= 7


def _check(n1: float, n2: float, m: float) -> None:
    if min(n1, n2, m) < 0:
        raise ValueError("counts must be non-negative")
    if m > min(n1, n2):
        raise ValueError(f"overlap m={m} larger than a list (n1={n1}, n2={n2})")


def lincoln_petersen(n1: float, n2: float, m: float) -> tuple[float, float]:
    """Lincoln-Petersen N = n1*n2/m and its large-sample variance n1 n2 (n1-m)(n2-m)/m^3."""
    _check(n1, n2, m)
    if m == 0:
        return math.inf, math.inf
    return n1 * n2 / m, n1 * n2 * (n1 - m) * (n2 - m) / m**3


def chapman(n1: float, n2: float, m: float) -> tuple[float, float]:
    """Chapman's bias-corrected estimator and the Seber (1970) variance.

    N = (n1+1)(n2+1)/(m+1) - 1;  Var = (n1+1)(n2+1)(n1-m)(n2-m) / ((m+1)^2 (m+2)).
    """
    _check(n1, n2, m)
    n = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    return n, var


def log_normal_interval(n_seen: float, n_hat: float, var: float, z: float = Z95) -> tuple[float, float]:
    """Chao (1987) interval: log-normal on the unseen part f0 = N - n_seen.

    Never falls below the number of distinct persons seen and is skewed to the right as the
    sampling distribution of N is; better coverage than N +- z*se for small overlaps.
    """
    f0 = n_hat - n_seen
    if not math.isfinite(var) or not math.isfinite(f0):
        return n_seen, math.inf
    if var <= 0:
        return n_seen, n_seen + max(f0, 0.0)
    if f0 <= 0:  # nobody unseen by the point, but not for sure: one-sided on the variance
        return n_seen, n_seen + z * math.sqrt(var)
    c = math.exp(z * math.sqrt(math.log(1 + var / f0**2)))
    return n_seen + f0 / c, n_seen + f0 * c


def _not_defined(n1: float, n2: float, m: float, n1_gone: float, n1_gone_var: float) -> str | None:
    """Why the dual-system estimate is not defined for these counts (None when it is).

    Counts that contradict each other (m > a list) stay an error: they mean broken linkage, not a
    small stratum."""
    _check(n1, n2, m)
    if n1 == 0 or n2 == 0:
        return f"one list is empty in this stratum (n1={n1:g}, n2={n2:g}): a single list cannot estimate the unseen"
    if m == 0:
        return "no overlap between the lists (m=0): the population size is not estimable"
    if not (math.isfinite(n1_gone) and math.isfinite(n1_gone_var)):
        return "the register's gone correction is itself not estimable here"
    if n1_gone < 0 or n1_gone_var < 0:
        return f"negative gone correction ({n1_gone:g}, variance {n1_gone_var:g})"
    return None


def dual_system(
    n1: float, n2: float, m: float, *, method: str = "chapman", n1_gone: float = 0.0, n1_gone_var: float = 0.0
) -> Estimate:
    """Residents of the stratum by dual-system estimation, with a 95 % interval and flags.

    `n1_gone` (with its variance) are estimated erroneous inclusions of list 1 (registered
    but gone); they are taken off n1 before estimation and their uncertainty is added by the
    delta method (dN/dn1 = (n2+1)/(m+1)).
    Warnings: expected overlap small (n1*n2 < 4*N_hat) or observed overlap m < 7.
    Not estimable (NaN with the reason, see `_not_defined`): an empty list, no overlap, or a gone
    correction that is itself not estimable.
    """
    if method not in ("chapman", "lincoln_petersen"):
        raise ValueError(f"unknown dual-system method {method!r}")
    reason = _not_defined(n1, n2, m, n1_gone, n1_gone_var)
    if reason:
        return not_estimable(
            method,
            "residents",
            reason,
            assumptions=ASSUMPTIONS,
            inputs={"n1": n1, "n1_gone": n1_gone, "n2": n2, "m": m},
        )
    n1_raw = n1
    n1 = max(n1 - n1_gone, float(m))
    if method == "chapman":
        n_hat, var = chapman(n1, n2, m)
        slope = (n2 + 1) / (m + 1)
    else:
        n_hat, var = lincoln_petersen(n1, n2, m)
        slope = n2 / m
    if n1_gone_var > 0 and math.isfinite(var):
        var += slope**2 * n1_gone_var
    n_seen = n1 + n2 - m
    warnings = []
    if math.isfinite(n_hat) and n1 * n2 < 4 * n_hat:
        warnings.append("n1*n2 < 4*N_hat: expected overlap below 4, estimate unstable")
    if m < MIN_OVERLAP:
        warnings.append(f"overlap m={m:g} < {MIN_OVERLAP}: estimator biased, interval unreliable")
    lo, hi = log_normal_interval(n_seen, n_hat, var)
    return Estimate(
        method=method,
        quantity="residents",
        point=n_hat,
        lower=lo,
        upper=hi,
        se=math.sqrt(var) if math.isfinite(var) else math.inf,
        interval_method="log-normal on the unseen part (Chao 1987)",
        assumptions=ASSUMPTIONS,
        warnings=warnings,
        inputs={"n1": n1_raw, "n1_gone": n1_gone, "n1_used": n1, "n2": n2, "m": m},
        details={
            "wald_lower": n_hat - Z95 * math.sqrt(var) if math.isfinite(var) else -math.inf,
            "wald_upper": n_hat + Z95 * math.sqrt(var) if math.isfinite(var) else math.inf,
        },
    )
