"""Repair a suppression pattern until the audit finds no breakable cell.

Greedy, as tau-ARGUS's hypercube method is in spirit: for a breakable primary cell, hide one more
published "position" (the repair unit: the same cell in every table and in every indicator of its
suppression family, so that linked indicators cannot reopen it) from the relations that break it,
re-audit, repeat. Candidates nearest to the breakable cell come first (the members of its own
relations, then theirs); among them a detail cell before a total, a non-zero cell before a 0 (an
attacker may know a structural 0, and a hidden 0 was a weak spot of the old pattern), and a
larger cell before a smaller one (issue 15: "prefer hiding fewer and larger-value cells where
equally safe" - one large complement protects where several small ones would be needed). The
first candidate that protects the cell is taken; if none does alone, the one that widens the
attacker's interval most is taken and the search goes on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass

from disclosure.lp import (
    EPS,
    INF,
    PROTECT_UPPER,
    Key,
    Problem,
    _relations_of,
    _targets,
    audit,
    bounds_of,
    component,
    judge,
)

MAX_DEPTH = 3  # relation hops searched for candidates around a breakable cell


@dataclass
class RepairResult:
    added_positions: list[Hashable]
    rounds: int
    breakable_before: int
    breakable_after: int


def _positions(problem: Problem) -> dict[Hashable, list[Key]]:
    out: dict[Hashable, list[Key]] = defaultdict(list)
    for k, c in problem.cells.items():
        out[c.position if c.position is not None else ("cell", k)].append(k)
    return out


def _position_of(problem: Problem, key: Key) -> Hashable:
    c = problem.cells[key]
    return c.position if c.position is not None else ("cell", key)


def _candidates(problem: Problem, key: Key, positions: dict[Hashable, list[Key]]) -> list[Hashable]:
    """Published positions around `key`, nearest relations first, then by preference."""
    by_cell = _relations_of(problem)
    seen_keys, frontier, seen_rel = {key}, [key], set()
    ordered: list[Hashable] = []
    seen_pos = {_position_of(problem, key)}
    for _ in range(MAX_DEPTH):
        ring: dict[Hashable, tuple] = {}
        nxt = []
        for k in frontier:
            for r in by_cell.get(k, ()):
                if r in seen_rel:
                    continue
                seen_rel.add(r)
                rel = problem.relations[r]
                total_key = rel.terms[0][0]  # relations are written total first
                for k2, _ in rel.terms:
                    cell = problem.cells[k2]
                    if k2 in seen_keys:
                        continue
                    seen_keys.add(k2)
                    if cell.suppressed:
                        nxt.append(k2)
                        continue
                    if cell.lo < cell.hi:  # a published interval (an office's rounded figure): not ours to hide
                        continue
                    pos = _position_of(problem, k2)
                    if pos in seen_pos:
                        continue
                    is_total = k2 == total_key
                    value = abs(cell.lo) if cell.lo > -INF else 0.0
                    pref = (is_total, value <= EPS, -value)
                    if pos not in ring or pref < ring[pos]:
                        ring[pos] = pref
        for pos in sorted(ring, key=lambda p: (ring[p], str(p))):
            seen_pos.add(pos)
            ordered.append(pos)
        frontier = nxt
        if not frontier:
            break
    return ordered


def _hide(problem: Problem, keys: list[Key]) -> dict[Key, tuple]:
    saved = {}
    for k in keys:
        c = problem.cells[k]
        saved[k] = (c.suppressed, c.lo, c.hi)
        c.hide()
    return saved


def _restore(problem: Problem, saved: dict[Key, tuple]) -> None:
    for k, (s, lo, hi) in saved.items():
        c = problem.cells[k]
        c.suppressed, c.lo, c.hi = s, lo, hi


def _score(lo: float, hi: float) -> float:
    """How close an interval is to protecting (higher is better)."""
    return min(hi, PROTECT_UPPER) - max(lo, 0.0) * 2


def _fix(problem: Problem, key: Key, positions: dict[Hashable, list[Key]]) -> list[Hashable]:
    """Hide positions until `key` is protected; returns them (empty if it was protected)."""
    added = []
    while True:
        lo, hi = bounds_of(problem, key)
        if not judge(problem.cells[key], lo, hi)[0]:
            return added
        candidates = _candidates(problem, key, positions)
        if not candidates:
            raise RuntimeError(f"no published cell left to hide around {key!r}")
        best, best_score = None, -INF
        for pos in candidates:
            saved = _hide(problem, positions[pos])
            lo2, hi2 = bounds_of(problem, key)
            breakable = judge(problem.cells[key], lo2, hi2)[0]
            _restore(problem, saved)
            if not breakable:
                best = pos
                break
            score = _score(lo2, hi2)
            if score > best_score + EPS:
                best, best_score = pos, score
        _hide(problem, positions[best])
        added.append(best)


def repair(problem: Problem, max_rounds: int = 50, targets: set[Key] | None = None) -> RepairResult:
    """Hide further positions of `problem` (in place) until no primary cell is breakable.

    Hiding a cell only takes a constraint away from the attacker (intervals widen), so a cell
    once protected stays protected: one full audit, then a fix per breakable cell, then a
    re-audit of the components the new suppressions touch (a check, normally empty).
    """
    positions = _positions(problem)
    added: list[Hashable] = []
    broken = [b for b in audit(problem, targets=targets, with_chain=False) if b.breakable]  # targets: a part
    first, rounds = len(broken), 0
    while broken and rounds < max_rounds:
        rounds += 1
        touched: list[Key] = []
        for b in broken:
            new = _fix(problem, b.key, positions)
            added += new
            for pos in new:
                touched += positions[pos]
        protect = _targets(problem)
        near: set[Key] = set()
        for k in touched:
            if k not in near:
                near.update(x for x in component(problem, k)[0] if x in protect)
        broken = [b for b in audit(problem, targets=near, with_chain=False) if b.breakable]
    return RepairResult(added, rounds, first, len(broken))
