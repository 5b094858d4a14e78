"""Ratio method: school pupils aged 6-14 against registered 6-14 year olds of the same group.

School attendance is compulsory, so (nearly) every child aged 6-14 living in the city is at
one of its schools, registered or not. The ratio r = pupils / registered children measures
the coverage of the register for children; extrapolated to the whole group with the
register's age structure, residents = registered(group) * r. Works on counts alone (no
linkage), so it also runs on aggregates.

Interval: delta method on the log scale with pupils and registered children treated as
independent Poisson counts, Var(log N) = 1/pupils + 1/registered_children. This carries
only the random part; the structural assumptions below usually weigh more.
"""

from __future__ import annotations

import math

from estimation.result import Z95, Estimate, not_estimable

ASSUMPTIONS = (
    "every child aged 6-14 living in the city attends one of its schools and no pupil lives "
    "outside it; the register misses (and over-counts) adults of the group in the same "
    "proportion as children (same age structure among unregistered and registered)"
)


def ratio_estimate(pupils: float, registered_children: float, registered_group: float) -> Estimate:
    """Residents of the group = registered_group * pupils / registered_children."""
    if min(pupils, registered_children, registered_group) < 0:
        raise ValueError("counts must be non-negative")
    warnings = []
    if registered_children == 0 or pupils == 0:
        return not_estimable(
            "ratio_school",
            "residents",
            "no registered children or no pupils aged 7-14: the ratio is not defined",
            assumptions=ASSUMPTIONS,
            inputs={"pupils": pupils, "registered_children": registered_children, "registered_group": registered_group},
        )
    r = pupils / registered_children
    n_hat = registered_group * r
    se_log = math.sqrt(1 / pupils + 1 / registered_children)
    if min(pupils, registered_children) < 20:
        warnings.append("fewer than 20 children on one side: ratio very uncertain")
    if r < 0.9:
        warnings.append("fewer pupils than registered children: register over-counts or school attendance incomplete")
    return Estimate(
        method="ratio_school",
        quantity="residents",
        point=n_hat,
        lower=n_hat * math.exp(-Z95 * se_log),
        upper=n_hat * math.exp(Z95 * se_log),
        se=n_hat * se_log,
        interval_method="delta method, log scale, Poisson counts",
        assumptions=ASSUMPTIONS,
        warnings=warnings,
        inputs={
            "pupils": pupils,
            "registered_children": registered_children,
            "registered_group": registered_group,
            "ratio": r,
        },
    )
