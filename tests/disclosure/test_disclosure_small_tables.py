"""The audit and the repair on seeded random small tables whose exact answer the brute force knows."""

from __future__ import annotations

import numpy as np
import pytest
from disclosure_tables import brute_force, n_fillings, primary_cells, problem_of, random_table

from disclosure.lp import Cell, Problem, _inward, audit, judge
from disclosure.repair import repair

SHAPES = [(3, 3)] * 8 + [(3, 4)] * 6 + [(2, 4)] * 3 + [(2, 2, 3)] * 5 + [(2, 3, 2)] * 3
MAX_FILLINGS = 400_000  # the brute force's budget per table


def _cases():
    """One seeded table per shape entry: the first seed from 100 on whose pattern the brute force
    can enumerate (deterministic; the check below asserts there are enough and they matter)."""
    cases, seed = [], 100
    for shape in SHAPES:
        while True:
            values = random_table(seed, shape)
            seed += 1
            if n_fillings(shape, values, _pattern(seed - 1, shape, values)) <= MAX_FILLINGS:
                cases.append((seed - 1, shape))
                break
    return cases


def _pattern(seed: int, shape, values):
    """Primary cells plus a few random complements (the naive pattern an audit must judge)."""
    rng = np.random.default_rng(seed + 7)
    prim = primary_cells(values)
    interior = [k for k in values if "T" not in k and k not in prim]
    extra = {k for k in interior if rng.random() < 0.2}
    return prim | extra


CASES = _cases()


@pytest.mark.parametrize(("seed", "shape"), CASES)
def test_audit_matches_brute_force(seed, shape):
    values = random_table(seed, shape)
    suppressed = _pattern(seed, shape, values)
    exact = brute_force(shape, values, suppressed)
    assert exact is not None
    problem = problem_of(shape, values, suppressed)
    bounds = {b.key: b for b in audit(problem, exact=True)}
    fast = {b.key: b.breakable for b in audit(problem)}
    assert fast == {k: b.breakable for k, b in bounds.items()}
    assert set(bounds) == {k for k in suppressed if values[k] in (1, 2)}
    for key, b in bounds.items():
        assert (b.lo, b.hi) == exact[key], f"{key}: audit {b.lo, b.hi} vs exact {exact[key]}"
        lo, hi = exact[key]
        assert b.breakable == (not (lo <= 0 and hi >= 3))
        assert lo <= values[key] <= hi


def test_every_seed_is_enumerable_and_some_are_breakable():
    """The parametrised cases really test something: every one enumerates, several break, several hold."""
    broken = held = 0
    assert len(CASES) >= 20 and sum(len(s) == 3 for _, s in CASES) >= 5
    for seed, shape in CASES:
        values = random_table(seed, shape)
        suppressed = _pattern(seed, shape, values)
        flags = [b.breakable for b in audit(problem_of(shape, values, suppressed))]
        broken += any(flags)
        held += not all(flags)
    assert broken >= 10 and held >= 3, (broken, held)


@pytest.mark.parametrize(("seed", "shape"), CASES)
def test_repair_leaves_nothing_breakable(seed, shape):
    values = random_table(seed, shape)
    suppressed = _pattern(seed, shape, values)
    problem = problem_of(shape, values, suppressed)
    result = repair(problem)
    assert result.breakable_after == 0
    assert not any(b.breakable for b in audit(problem))
    now = {k for k, c in problem.cells.items() if c.suppressed}
    assert suppressed <= now  # only extra suppression, nothing reopened
    assert len(now - suppressed) == len(result.added_positions)
    exact = brute_force(shape, values, now, max_combos=60_000)
    if exact is not None:  # the repaired pattern holds against the exact integer attacker too
        for key in now & primary_cells(values):
            lo, hi = exact[key]
            assert lo <= 0 and hi >= 3, (key, exact[key])


def _row(values: list[int], hidden: set[int], total_known: tuple[float, float] | None = None) -> Problem:
    """One row with its total: cells 0..n-1, total 'T'."""
    p = Problem()
    total = float(sum(values))
    for i, v in enumerate(values):
        c = Cell(true_value=float(v), position=i)
        if i in hidden:
            c.hide()
            c.primary = v in (1, 2)
        else:
            c.lo = c.hi = float(v)
        p.cells[i] = c
    t = Cell(true_value=total, position="T")
    t.lo, t.hi = total_known or (total, total)
    p.cells["T"] = t
    p.add_relation("row total", [("T", 1.0)] + [(i, -1.0) for i in range(len(values))])
    return p


def test_a_lone_primary_beside_its_total_is_breakable_with_its_chain():
    p = _row([5, 1, 7], hidden={1})
    (b,) = audit(p)
    assert (b.lo, b.hi, b.breakable) == (1, 1, True)
    assert b.chain == ["row total"]


def test_two_small_cells_hiding_each_other_are_still_breakable():
    """1 and 1 hidden together: each lies in [0, 2] - the attacker pins the count below 3."""
    p = _row([5, 1, 1, 7], hidden={1, 2})
    assert all(b.breakable and (b.lo, b.hi) == (0, 2) for b in audit(p))
    repair(p)
    assert not any(b.breakable for b in audit(p))
    assert p.cells[3].suppressed or p.cells[0].suppressed


def test_repair_prefers_a_nonzero_larger_detail_cell():
    p = _row([4, 1, 0, 9], hidden={1})
    result = repair(p)
    assert result.added_positions == [3]  # not the 0, not the total; the larger of 4 and 9
    assert not p.cells["T"].suppressed


def test_a_rounded_total_is_an_interval():
    """Total 12 published rounded (10..14): hidden 1 beside 11 lies in [0, 3] - protected;
    the exact total would pin it."""
    exact = _row([11, 1], hidden={1})
    assert audit(exact)[0].breakable
    rounded = _row([11, 1], hidden={1}, total_known=(10.0, 14.0))
    (b,) = audit(rounded)
    assert (b.lo, b.hi, b.breakable) == (0, 3, False)


def test_integer_bounds_are_rounded_inward_and_fractional_cells_are_not():
    assert _inward(Cell(integer=True), 0.4, 2.6) == (1, 2)
    assert _inward(Cell(integer=False), 0.4, 2.6) == (0.4, 2.6)


def test_judge_without_true_value_is_conservative():
    c = Cell(primary=True, suppressed=True)
    assert judge(c, 0, 3) == (False, "protected")
    assert judge(c, 40, 60)[0] is False  # cannot be the small count
    assert judge(c, 1, 60)[0] is True  # might be: a person is proven
    c.true_value = 30.0
    assert judge(c, 1, 60)[0] is False  # another measure of the cell is the small one
