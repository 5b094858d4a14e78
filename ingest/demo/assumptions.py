"""Knobs for the assumptions the Dunkelziffer methods rest on, so that a family of worlds can
break them one at a time (estimation/family.py). The defaults are the demo world: with them the
generator writes exactly the bytes it always wrote (no knob draws a random number then).

- `absent_share`: share of resident, registered children of compulsory school age (6-15) who
  are not on the school census list (schooled elsewhere, at home, waiting for a place) - one
  share, or one per nationality group (`GROUPS` order or a dict by group label). Demo: 1.5 %.
- `counselling_unregistered_factor`: contact rate of unregistered persons relative to registered
  ones - the dependence between the counselling list and the register. Demo: 3.
- `catchability_sd`: heterogeneity of catchability: a household frailty z (log-normal, mean 1,
  this standard deviation on the log scale) multiplies the odds of a child attending school, the
  counselling contact rate and the hazard of a late registration, so the same households are
  missed by every list. Demo: 0 (homogeneous).
- `ava_delay_factor`: ex-officio removals (AVA / vow) of people who left without deregistering
  come this many times later. Demo: 1.
- `unregistered_school_factor`: school attendance of unregistered children relative to the
  demo's (`Behaviour.school_unregistered`), capped at 1 - the dependence between the register
  and the school list. Demo: 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import special

from ingest.demo import calibration as cal

DEMO_ABSENT_SHARE = 0.015
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True)
class Assumptions:
    absent_share: float | tuple[float, ...] | dict[str, float] = DEMO_ABSENT_SHARE
    counselling_unregistered_factor: float = 3.0
    catchability_sd: float = 0.0
    ava_delay_factor: float = 1.0
    unregistered_school_factor: float = 1.0
    notes: dict = field(default_factory=dict, compare=False)

    def absent_by_group(self) -> np.ndarray:
        """Absent share per group id (GROUPS order)."""
        a = self.absent_share
        if isinstance(a, dict):
            labels = {**dict(zip(cal.GROUP_LABELS_NL, cal.GROUPS)), **{g: g for g in cal.GROUPS}}
            unknown = set(a) - set(labels)
            if unknown:
                raise ValueError(f"absent_share for unknown groups {sorted(unknown)}")
            out = np.full(len(cal.GROUPS), DEMO_ABSENT_SHARE)
            for k, v in a.items():
                out[cal.GROUPS.index(labels[k])] = v
            return out
        if isinstance(a, (tuple, list)):
            if len(a) != len(cal.GROUPS):
                raise ValueError(f"absent_share needs one share per group {cal.GROUPS}")
            return np.asarray(a, dtype=float)
        return np.full(len(cal.GROUPS), float(a))

    @property
    def is_demo(self) -> bool:
        return self == Assumptions()

    def describe(self) -> dict:
        """Plain values for a world description (world.json)."""
        d = asdict(self)
        d.pop("notes")
        d["absent_share"] = {g: round(float(v), 4) for g, v in zip(cal.GROUPS, self.absent_by_group())}
        return d


DEMO = Assumptions()


def frailty(ids: np.ndarray, sd: float, key: int) -> np.ndarray:
    """Mean-one log-normal frailty per id, drawn from the id itself (splitmix64), so that it is
    the same for a household in every month and consumes nothing of the world's random stream."""
    x = np.asarray(ids).astype(np.uint64) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        for _ in range(2):
            x = x ^ (x >> np.uint64(30))
            x = x * _M1
            x = x ^ (x >> np.uint64(27))
            x = x * _M2
            x = x ^ (x >> np.uint64(31))
    u = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return np.exp(sd * special.ndtri(u) - sd**2 / 2)


def scale_odds(p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Probability p with its odds multiplied by z (z = 1 leaves p as it is)."""
    p = np.asarray(p, dtype=float)
    return p * z / (1 - p + p * z)
