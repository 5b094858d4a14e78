"""Residents as the sum of their parts: registered - registered but gone + unregistered
(method `components_school`), each part with its interval.

- gone: `school_gone_dwell` of the stratum (estimation/gone.py);
- unregistered: the group's unregistered children aged 7-14 by dual-system estimation on
  register x school (register corrected for the gone children first), as a rate per registered
  child, applied to the stratum's registered persons.

Assumptions: unregistered children attend school as often as registered ones (list
independence; if they attend less often - likely - the unregistered are under-estimated), and
adults of the group are unregistered as often as its children (fails for groups of single
adults such as seasonal workers: under-estimated there too). The parts are combined as
independent normal errors (estimation/combine.py), so residents = registered - gone +
unregistered holds exactly for the points.
"""

from __future__ import annotations

import math

from estimation.combine import residents
from estimation.dual_system import dual_system
from estimation.result import Z95, Estimate, not_estimable

METHOD = "components_school"
ASSUMPTIONS = (
    "unregistered children aged 7-14 attend school as often as registered ones (list "
    "independence); adults of the group are unregistered as often as its children"
)


def unregistered_rate(children: float, gone_children: Estimate, pupils: float, linked: float) -> Estimate:
    """Unregistered children per registered child (7-14) of a group, with a 95 % interval.
    Not estimable without registered children, without a gone estimate of them, or when the
    register x school link is (no pupils, no registered child at school)."""
    inputs = {"children": children, "pupils": pupils, "linked": linked, "gone_children": gone_children.point}
    if children <= 0:
        return not_estimable(
            METHOD, "unregistered_rate", "no registered children aged 7-14", assumptions=ASSUMPTIONS, inputs=inputs
        )
    if not gone_children.estimable:
        return not_estimable(
            METHOD,
            "unregistered_rate",
            "gone share of the registered children not estimable",
            assumptions=ASSUMPTIONS,
            inputs=inputs,
            warnings=gone_children.warnings,
        )
    dse = dual_system(children, pupils, linked, n1_gone=gone_children.point, n1_gone_var=(gone_children.se or 0.0) ** 2)
    present = children - gone_children.point
    se = math.sqrt((dse.se or 0.0) ** 2 + (gone_children.se or 0.0) ** 2)
    if not dse.estimable:
        return not_estimable(
            METHOD,
            "unregistered_rate",
            f"register x school: {dse.details['not_estimable']}",
            assumptions=ASSUMPTIONS,
            inputs=inputs,
        )
    unreg = dse.point - present
    return Estimate(
        method=METHOD,
        quantity="unregistered_rate",
        point=unreg / children,
        lower=max(0.0, dse.lower - present - Z95 * (gone_children.se or 0.0)) / children,
        upper=(dse.upper - present + Z95 * (gone_children.se or 0.0)) / children,
        se=se / children,
        interval_method="Chapman with gone-corrected register, Chao interval",
        assumptions=ASSUMPTIONS,
        warnings=list(dse.warnings) + list(gone_children.warnings),
        inputs=inputs,
    )


def components(registered: float, gone: Estimate, rate: Estimate) -> tuple[Estimate, Estimate]:
    """(unregistered, residents) of a stratum from its gone estimate and the group's rate;
    both not estimable (with the reason) when either part is."""
    if not (rate.estimable and gone.estimable):
        part = "unregistered rate" if not rate.estimable else "gone estimate"
        why = (rate if not rate.estimable else gone).details.get("not_estimable", "no number")
        return tuple(
            not_estimable(
                METHOD,
                q,
                f"{part} of the stratum not estimable ({why})",
                assumptions=ASSUMPTIONS,
                inputs={"registered": registered},
            )
            for q in ("unregistered", "residents")
        )
    unreg = Estimate(
        method=METHOD,
        quantity="unregistered",
        point=rate.point * registered,
        lower=rate.lower * registered,
        upper=rate.upper * registered,
        se=(rate.se or 0.0) * registered,
        interval_method="children's unregistered rate (Chapman register x school) x registered",
        assumptions=rate.assumptions,
        warnings=list(rate.warnings),
        inputs={**rate.inputs, "registered": registered},
    )
    total = residents(registered, gone, unreg)
    total.method = METHOD
    total.assumptions = f"{ASSUMPTIONS}; gone: {gone.assumptions}"
    return unreg, total
