"""Seeded random small tables with all their margins, and the exact attacker interval by brute force.

A table of `shape` (2-D or 3-D) holds random counts (some 1s and 2s); every margin is published
beside it ('T' along an axis = the sum over that axis). The brute force enumerates every integer
filling of the suppressed cells that fits every published cell and relation: its minimum and
maximum per cell are the exact answer an attacker with integer reasoning gets.
"""

from __future__ import annotations

import itertools

import numpy as np

from disclosure.lp import Cell, Problem

T = "T"


def random_table(seed: int, shape: tuple[int, ...], vmax: int = 5, p_small: float = 0.25) -> dict[tuple, int]:
    rng = np.random.default_rng(seed)
    interior = {}
    for idx in itertools.product(*(range(n) for n in shape)):
        r = rng.random()
        interior[idx] = (
            int(rng.integers(1, 3)) if r < p_small else (0 if r < p_small + 0.1 else int(rng.integers(3, vmax + 1)))
        )
    values = {}
    for key in itertools.product(*([*range(n), T] for n in shape)):
        values[key] = sum(
            v for idx, v in interior.items() if all(k == T or k == i for k, i in zip(key, idx, strict=True))
        )
    return values


def relations(shape: tuple[int, ...], values: dict[tuple, int]):
    """(name, terms) for every margin along every axis: key[T on axis d] = sum over axis d."""
    out = []
    for key in values:
        for d, k in enumerate(key):
            if k != T:
                continue
            parts = [key[:d] + (i,) + key[d + 1 :] for i in range(shape[d])]
            out.append((f"axis {d} of {key}", [(key, 1.0)] + [(p, -1.0) for p in parts]))
    return out


def primary_cells(values: dict[tuple, int]) -> set[tuple]:
    return {k for k, v in values.items() if v in (1, 2)}


def problem_of(
    shape, values: dict[tuple, int], suppressed: set[tuple], rounded: dict[tuple, tuple] | None = None
) -> Problem:
    """The attacker's problem: suppressed cells hidden, `rounded` cells known only as an interval."""
    prim = primary_cells(values)
    p = Problem()
    for k, v in values.items():
        c = Cell(true_value=float(v), position=k)
        if k in suppressed:
            c.hide()
            c.primary = k in prim
        elif rounded and k in rounded:
            c.lo, c.hi = rounded[k]
        else:
            c.lo = c.hi = float(v)
        p.cells[k] = c
    for name, terms in relations(shape, values):
        p.add_relation(name, terms)
    return p


def _upper(shape, values, suppressed, hidden):
    rels = relations(shape, values)
    upper = []
    for k in hidden:  # a cell is at most any published margin that contains it
        ub = values[tuple(T for _ in shape)] if tuple(T for _ in shape) not in suppressed else None
        for _name, terms in rels:
            if (k, -1.0) in terms and terms[0][0] not in suppressed:
                ub = values[terms[0][0]] if ub is None else min(ub, values[terms[0][0]])
        upper.append(ub if ub is not None else sum(v for kk, v in values.items() if T not in kk))
    return upper


def n_fillings(shape, values: dict[tuple, int], suppressed: set[tuple]) -> float:
    hidden = sorted(suppressed, key=str)
    return float(np.prod([u + 1 for u in _upper(shape, values, suppressed, hidden)], dtype=np.float64))


def brute_force(shape, values: dict[tuple, int], suppressed: set[tuple], max_combos: int = 400_000):
    """{cell: (min, max)} over every integer filling of the suppressed cells, or None if too many."""
    hidden = sorted(suppressed, key=str)
    rels = relations(shape, values)
    upper = _upper(shape, values, suppressed, hidden)
    combos = int(np.prod([u + 1 for u in upper], dtype=np.float64))
    if combos > max_combos:
        return None
    grid = np.array(np.meshgrid(*[np.arange(u + 1) for u in upper], indexing="ij")).reshape(len(hidden), -1)
    pos = {k: i for i, k in enumerate(hidden)}
    ok = np.ones(grid.shape[1], dtype=bool)
    for _, terms in rels:
        total = np.zeros(grid.shape[1])
        for k, c in terms:
            total = total + c * (grid[pos[k]] if k in pos else values[k])
        ok &= np.abs(total) < 1e-9
    feasible = grid[:, ok]
    assert feasible.shape[1] > 0, "the true table itself must fit"
    return {k: (int(feasible[pos[k]].min()), int(feasible[pos[k]].max())) for k in hidden}
