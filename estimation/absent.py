"""The share of registered children aged 7-14 who live in the city but are not on its school
census list ("absent": schooled in another town, at home or in hospital, waiting for a school
place, or left in the days between the register date and the census day).

It cannot be read off the register x school link (there it is confounded with the gone), so
it starts as an assumption - 1.5 % with a standard deviation of 0.75 %, a Beta prior - and is
updated with the city's own evidence: registered children aged 7-14 who demonstrably lived in
the city around the reference date (SGB II in the month of t, a counselling contact within
+-91 days, or an arrival, a move inside the city or a birth recorded in the 92 days before
t). Those not on the census list are absent, not gone. The evidence children are not a random
sample (recent arrivals and benefit households miss school more often), so with much evidence
the share leans high and the gone estimate low; the posterior keeps the prior's weight of
about 260 children.
"""

from __future__ import annotations

import math

PRIOR_MEAN, PRIOR_SD = 0.015, 0.0075
EVIDENCE_DAYS = 92
EVIDENCE_EVENTS = ("ZU_AUSLAND", "ZU_INLAND", "ZU_UNBEKANNT", "STATUS_NW_HW", "UMZUG", "GEBURT")


def prior_beta(mean: float = PRIOR_MEAN, sd: float = PRIOR_SD) -> tuple[float, float]:
    """Beta(a, b) with the given mean and standard deviation."""
    total = mean * (1 - mean) / sd**2 - 1
    return mean * total, (1 - mean) * total


def absent_share(evidence_children: float, evidence_not_at_school: float) -> tuple[float, float, dict]:
    """Posterior mean and standard deviation of the absent share (Beta-binomial update)."""
    if evidence_not_at_school < 0 or evidence_not_at_school > evidence_children:
        raise ValueError("not-at-school evidence must lie between 0 and the evidence children")
    a, b = prior_beta()
    a, b = a + evidence_not_at_school, b + evidence_children - evidence_not_at_school
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    return (
        mean,
        sd,
        {
            "absent_share": round(mean, 5),
            "absent_share_sd": round(sd, 5),
            "absent_evidence_children": evidence_children,
            "absent_evidence_not_at_school": evidence_not_at_school,
        },
    )
