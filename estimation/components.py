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
from estimation.intervals import poisson_interval
from estimation.result import Z95, Estimate, not_estimable

METHOD = "components_school"
# Sensitivity range of "adults are unregistered as often as the children of their group": nothing
# in the lists identifies it (counselling sees too few unregistered children), so the interval of
# a stratum other than the children's own band is widened by this factor on each side. The
# validation family measures the band-by-band error this stands for (METHODS.md).
TRANSFER_FACTOR = 2.0
ASSUMPTIONS = (
    "unregistered children aged 7-14 attend school as often as registered ones (list "
    "independence); adults of the group are unregistered as often as its children"
)


def unregistered_rate(children: float, gone_children: Estimate, pupils: float, linked: float) -> Estimate:
    """Unregistered children per registered child (7-14) of a group, with a 95 % interval.

    Chapman (1951) on register x school with the register corrected for the gone children
    (n1' = children - gone) gives N - n1' = u (n1' + 1) / (m + 1): the unregistered pupils u =
    pupils - linked divided by the school attendance of the registered present children,
    (m + 1) / (n1' + 1). The interval is the exact Poisson interval of u (Garwood 1936; u = 0 keeps
    an upper limit of 3.69 pupils) times that factor, whose own uncertainty (the gone children's,
    which carries the absent share) is added on the log scale. Taking the Chapman residents
    interval and subtracting the registered present instead (the former way) counted the gone
    uncertainty twice, although the unregistered hardly depend on it, and gave intervals about
    ten times the truth.
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
    if not dse.estimable:
        return not_estimable(
            METHOD,
            "unregistered_rate",
            f"register x school: {dse.details['not_estimable']}",
            assumptions=ASSUMPTIONS,
            inputs=inputs,
        )
    present = dse.inputs["n1_used"]  # registered present children (n1', never below the linked)
    u = pupils - linked
    factor = (present + 1) / (linked + 1)
    se_log_factor = (gone_children.se or 0.0) / (present + 1)
    lo_u, hi_u = poisson_interval(u)
    spread = math.exp(Z95 * se_log_factor)
    lower, upper = lo_u * factor / spread, hi_u * factor * spread
    point = u * factor
    warnings = [w for w in dse.warnings if not w.startswith("n1*n2")]
    return Estimate(
        method=METHOD,
        quantity="unregistered_rate",
        point=point / children,
        lower=lower / children,
        upper=upper / children,
        se=(upper - lower) / (2 * Z95) / children,
        interval_method="unregistered pupils: exact Poisson (Garwood) x attendance of registered present children "
        "(Chapman, gone-corrected register), its uncertainty on the log scale",
        assumptions=ASSUMPTIONS,
        warnings=warnings + list(gone_children.warnings),
        inputs={**inputs, "unregistered_pupils": u, "attendance_factor": factor},
    )


def components(registered: float, gone: Estimate, rate: Estimate, transfer: float = 1.0) -> tuple[Estimate, Estimate]:
    """(unregistered, residents) of a stratum from its gone estimate and the group's rate;
    both not estimable (with the reason) when either part is. `transfer` (>= 1) is the
    sensitivity range of carrying the children's rate to the stratum: its interval is divided and
    multiplied by it (TRANSFER_FACTOR for strata other than the children's own band)."""
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
        lower=rate.lower * registered / transfer,
        upper=rate.upper * registered * transfer,
        se=(rate.upper * transfer - rate.lower / transfer) * registered / (2 * Z95),
        interval_method="children's unregistered rate (Chapman register x school) x registered"
        + (f", divided and multiplied by {transfer:g} for carrying it to other ages" if transfer != 1 else ""),
        assumptions=rate.assumptions,
        warnings=list(rate.warnings),
        inputs={**rate.inputs, "registered": registered},
    )
    total = residents(registered, gone, unreg)
    total.method = METHOD
    total.assumptions = f"{ASSUMPTIONS}; gone: {gone.assumptions}"
    return unreg, total
