"""Simulated strata with known truth, to test the estimators where the demo world is not at hand.

One stratum: registered people still living there, registered people who left (erroneous
inclusions of the register), unregistered residents. Lists: register, school (children,
residents only), SGB II (registered residents only: structural zero register=0 & sgb2=1)
and counselling (finds unregistered people more often: list dependence). Individual
catchability varies (log-normal frailty): heterogeneity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Stratum:
    histories: np.ndarray  # persons x lists, 0/1, all-zero rows removed
    lists: list[str]
    residents: int  # truth
    unregistered: int
    gone: int
    registered: int  # register count (present + gone)


def simulate_stratum(
    rng: np.random.Generator,
    *,
    present: int = 800,
    unregistered: int = 200,
    gone: int = 100,
    p_school: float = 0.0,
    p_sgb2: float = 0.25,
    p_counsel_reg: float = 0.05,
    p_counsel_unreg: float = 0.3,
    frailty_sd: float = 0.0,
) -> Stratum:
    n = present + unregistered + gone
    registered = np.r_[np.ones(present), np.zeros(unregistered), np.ones(gone)].astype(bool)
    living = np.r_[np.ones(present + unregistered), np.zeros(gone)].astype(bool)
    frail = np.exp(rng.normal(0, frailty_sd, n) - frailty_sd**2 / 2) if frailty_sd else np.ones(n)

    def catch(p):
        return rng.random(n) < np.clip(p * frail, 0, 1)

    cols = {"register": registered}
    if p_school:
        cols["school"] = living & catch(p_school)
    if p_sgb2:
        cols["sgb2"] = living & registered & catch(p_sgb2)
    if p_counsel_reg or p_counsel_unreg:
        cols["counselling"] = living & catch(np.where(registered, p_counsel_reg, p_counsel_unreg))
    H = np.column_stack(list(cols.values())).astype(int)
    H = H[H.any(axis=1)]
    return Stratum(H, list(cols), present + unregistered, unregistered, gone, present + gone)
