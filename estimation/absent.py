"""The share of registered children aged 7-14 who live in the city but are not on its school
census list ("absent": schooled in another town, at home or in hospital, waiting for a school
place, or left in the days between the register date and the census day without deregistering).

The register x school link cannot tell them from the gone, so the share is estimated from the
city's own evidence, per nationality group: registered children aged 7-14 who demonstrably
lived in the city around the reference date t (SGB II persons in the month of t, a counselling
contact within +-91 days, or an arrival, a move inside the city or a birth recorded in the 92
days before t). Those not on the census list are absent, not gone.

- The city's share: a Beta posterior from all evidence children; its prior Beta(1, 9) says only
  "somewhere between 0 and about 25 %" (mean 10 %) - a sensitivity range, not a belief - and
  the evidence, counted as households (siblings are absent or present together: it is deflated
  by its design effect), moves it. With much evidence the data decide (about 600 children in a
  city of 160,000).
- Each group's share: a Beta posterior from the group's own evidence, starting from the city's
  share worth GROUP_PRIOR_WEIGHT children (partial pooling), plus the city share's own
  uncertainty. A group with much evidence gets its own share (3-17 % by group in one setting of
  the validation family); one with little (EU-2: a few households) leans on the city's and keeps
  a wide interval, and so does the gone interval that carries it.
- The evidence children are not a random sample of the present ones: recent arrivals and benefit
  households miss school more often (waiting for a place), and a recent arrival may already have
  left again. Both make the share lean high and the gone estimate low; the validation family
  (METHODS.md) measures how much.

The former fixed prior (1.5 % +- 0.75 %, worth about 260 children) is gone: on worlds where 3-17 %
of the children are absent it read the rest of the gap as "gone" (issue 14).
"""

from __future__ import annotations

import math

import polars as pl

PRIOR_A, PRIOR_B = 1.0, 9.0  # Beta prior of the absent share: mean 10 %, 95 % below about 26 %
EVIDENCE_DAYS = 92
EVIDENCE_EVENTS = ("ZU_AUSLAND", "ZU_INLAND", "ZU_UNBEKANNT", "STATUS_NW_HW", "UMZUG", "GEBURT")
FEW_EVIDENCE = 20  # fewer evidence children in a group: its share leans on the city's (warning)
GROUP_PRIOR_WEIGHT = 10.0  # the city's share counts as this many evidence children in each group


def absent_share(
    evidence_children: float,
    evidence_not_at_school: float,
    design_effect: float = 1.0,
    prior: tuple[float, float] = (PRIOR_A, PRIOR_B),
) -> tuple[float, float, dict]:
    """Posterior mean and standard deviation of the absent share from evidence children, of whom
    `evidence_not_at_school` are not on the list; `design_effect` (>= 1) deflates clustered
    evidence (households) to its effective size; `prior` the Beta(a, b) it starts from."""
    if evidence_not_at_school < 0 or evidence_not_at_school > evidence_children:
        raise ValueError("not-at-school evidence must lie between 0 and the evidence children")
    deff = max(float(design_effect), 1.0)
    e, x = evidence_children / deff, evidence_not_at_school / deff
    a, b = prior[0] + x, prior[1] + e - x
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
            "absent_evidence_design_effect": round(deff, 3),
        },
    )


def absent_shares(children: pl.DataFrame) -> dict[str, tuple[float, float, dict]]:
    """Per nationality group: (share, sd, inputs) from the group's evidence children, shrunk
    towards the city's share of all evidence children (partial pooling: the city's share counts as
    GROUP_PRIOR_WEIGHT children of the group). The city's share itself has the Beta(1, 9) prior.

    children: registered 7-14 year olds (those who deregistered between t and the census left
    out) with `nationality_group`, `school` (0/1), `present_evidence` and `address`."""
    from estimation.gone import design_effect

    def evidence(part: pl.DataFrame) -> tuple[float, float, float]:
        ev = part.filter("present_evidence")
        n_ev = float(ev.height)
        missing = n_ev - float(ev["school"].sum()) if ev.height else 0.0
        return n_ev, missing, design_effect(ev) if ev.height else 1.0

    city_n, city_x, city_deff = evidence(children)
    city_mean, city_sd, _ = absent_share(city_n, city_x, city_deff)
    out = {}
    for (grp,), part in children.group_by(["nationality_group"], maintain_order=True):
        n_ev, missing, deff = evidence(part)
        share = absent_share(
            n_ev, missing, deff, prior=(GROUP_PRIOR_WEIGHT * city_mean, GROUP_PRIOR_WEIGHT * (1 - city_mean))
        )
        # the city's share is itself uncertain: its part in the group's posterior adds that
        w = GROUP_PRIOR_WEIGHT / (GROUP_PRIOR_WEIGHT + n_ev / max(deff, 1.0))
        sd = math.sqrt(share[1] ** 2 + (w * city_sd) ** 2)
        inputs = {**share[2], "absent_share_sd": round(sd, 5), "absent_city_share": round(city_mean, 5)}
        if n_ev < FEW_EVIDENCE:
            inputs["absent_warning"] = (
                f"absent share of the group barely identified ({n_ev:g} evidence children): it leans on "
                "the city's share, whose uncertainty is in the interval"
            )
        out[grp] = (share[0], sd, inputs)
    return out
