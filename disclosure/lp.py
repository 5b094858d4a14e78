"""The attacker's bounds of suppressed cells: linear programming over every published relation.

A `Problem` holds cells (each a variable: published as a point or an interval, or suppressed)
and linear relations between them (sum of coef * cell = 0). For every primary-suppressed cell
the attacker's smallest and largest provable value is

    min / max x_i  subject to  A x = 0 (the relations),  lo <= x <= hi (what is published)

solved with scipy.optimize.linprog (HiGHS), component by component (cells linked by relations).
Counts are integers: rounding the LP bounds inward (ceil of the minimum, floor of the maximum) is
valid, because the true integer value lies inside the LP interval. This is the audit of a
suppression pattern as tau-ARGUS does it (Hundepool et al., Statistical Disclosure Control, 2012,
ch. 4.3: the "attacker's problem").

Protection rule (issue 15): a primary cell (true value 1 or 2) is protected only when the
attacker's interval includes 0 and reaches at least 3 - the attacker can neither confirm that a
person exists nor pin the count. Without the true value (a cell known only to be primary, not
which of its measures is small) a measure counts as possibly small unless its interval shows
it is 0 or at least 3.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

Key = Hashable
INF = math.inf
EPS = 1e-6
PROTECT_UPPER = 3  # the attacker's interval must reach at least this (and include 0)
# Components of integer cells up to this size are solved as integer programs (scipy.optimize.milp,
# HiGHS branch and bound): exact where the LP relaxation is not (3-D tables and beyond have
# non-integral vertices); larger ones keep the LP bounds rounded inward (valid, maybe wider).
MILP_MAX_CELLS = 300


class AuditError(RuntimeError):
    """The relations contradict what is published: the audit cannot judge the pattern."""


class RelationDoesNotHold(AuditError):
    """The city layer's true table is not a feasible point of the attacker's problem: a relation
    the audit uses, or a cell's kind (sign, integrality), does not hold on the true values. The
    audit's relations are then wrong and its bounds mean nothing. The message names the relation
    or the measure, never a value."""


@dataclass
class Cell:
    """One variable: a published point (lo == hi), a published interval (a rounded official cell)
    or a suppressed cell (lo = 0, hi = inf for a count; -inf for a balance)."""

    lo: float = 0.0
    hi: float = INF
    suppressed: bool = False
    primary: bool = False  # suppressed because its own count is 1 or 2
    integer: bool = True
    nonnegative: bool = True  # a count; a balance (net migration) may be negative
    true_value: float | None = None  # known in the city layer only; never published
    position: Hashable = None  # the repair unit the cell belongs to (hidden together)
    tables: tuple[str, ...] = ()

    @property
    def known_point(self) -> bool:
        return not self.suppressed and self.lo == self.hi

    def hide(self) -> None:
        """Suppress the cell: the attacker only knows its sign."""
        self.suppressed = True
        self.lo, self.hi = (0.0 if self.nonnegative else -INF), INF


@dataclass(frozen=True)
class Relation:
    name: str
    terms: tuple[tuple[Key, float], ...]  # sum(coef * x) == 0


@dataclass
class Bound:
    key: Key
    lo: float
    hi: float
    breakable: bool
    reason: str
    chain: list[str] = field(default_factory=list)


@dataclass
class Problem:
    cells: dict[Key, Cell] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def add_relation(self, name: str, terms: Iterable[tuple[Key, float]]) -> None:
        terms = tuple((k, float(c)) for k, c in terms if k in self.cells)
        if len(terms) >= 2:
            self.relations.append(Relation(name, terms))

    def unknown(self, key: Key) -> bool:
        return not self.cells[key].known_point


def _relations_of(problem: Problem) -> dict[Key, list[int]]:
    """Relation indices per cell (cached: relations are fixed once built, cells change state)."""
    cache = getattr(problem, "_rel_cache", None)
    if cache is None or cache[0] != len(problem.relations):
        index: dict[Key, list[int]] = defaultdict(list)
        for i, rel in enumerate(problem.relations):
            for k, _ in rel.terms:
                index[k].append(i)
        cache = (len(problem.relations), index)
        problem._rel_cache = cache
    return cache[1]


def component(problem: Problem, key: Key) -> tuple[list[Key], list[int]]:
    """The unknown cells linked to `key` through relations, and those relations."""
    index = _relations_of(problem)
    keys, rels = [key], set()
    seen = {key}
    queue = deque([key])
    while queue:
        k = queue.popleft()
        for r in index.get(k, ()):
            if r in rels:
                continue
            rels.add(r)
            for k2, _ in problem.relations[r].terms:
                if k2 not in seen and problem.unknown(k2):
                    seen.add(k2)
                    keys.append(k2)
                    queue.append(k2)
    return keys, sorted(rels)


def _components(problem: Problem, wanted: set[Key]) -> list[tuple[list[Key], list[int]]]:
    """The components holding the wanted cells."""
    done: set[Key] = set()
    out = []
    for k in sorted(wanted, key=str):
        if k in done:
            continue
        keys, rels = component(problem, k)
        done.update(keys)
        out.append((keys, rels))
    return out


class _ComponentLP:
    """The attacker's LP of one component: equality rows from the relations, bounds per cell."""

    def __init__(self, problem: Problem, keys: list[Key], rel_idx: list[int]):
        self.problem = problem
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.rel_idx = rel_idx
        data, ri, ci, rhs = [], [], [], []
        for i, r in enumerate(rel_idx):
            b = 0.0
            for k, coef in problem.relations[r].terms:
                if k in self.index:
                    data.append(coef)
                    ri.append(i)
                    ci.append(self.index[k])
                else:
                    b -= coef * problem.cells[k].lo
            rhs.append(b)
        # sparse: one LP may hold every component at once (the witness pass of `audit`)
        self.a_eq = sparse.csr_matrix((data, (ri, ci)), shape=(len(rel_idx), len(keys))) if rel_idx else None
        self.b_eq = np.array(rhs) if rel_idx else None
        self.bounds = [
            (
                None if problem.cells[k].lo == -INF else problem.cells[k].lo,
                None if problem.cells[k].hi == INF else problem.cells[k].hi,
            )
            for k in keys
        ]

        self.integer = len(keys) <= MILP_MAX_CELLS and all(problem.cells[k].integer for k in keys)

    def _solve(self, c, a_ub=None, b_ub=None, bounds=None):
        res = linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=self.a_eq, b_eq=self.b_eq, bounds=bounds or self.bounds, method="highs"
        )
        if res.status == 2:
            raise AuditError(f"the published cells contradict the relations around {self.keys[0]!r} (infeasible)")
        return res

    def _mark(self, x, keys, zero: set, three: set) -> None:
        for k in keys:
            v = x[self.index[k]]
            if v <= EPS:
                zero.add(k)
            if v >= PROTECT_UPPER - EPS:
                three.add(k)

    def witness(self, targets: list[Key], zero: set, three: set) -> None:
        """Two LPs for all targets at once: min of their sum (cells at 0), max of their sum capped
        at 3 each (cells reaching 3) - each optimum is a feasible point, a proof for every cell."""
        n, m = len(self.keys), len(targets)
        c = np.zeros(n)
        for k in targets:
            c[self.index[k]] = 1.0
        res = self._solve(c)
        if res.status == 0:
            self._mark(res.x, targets, zero, three)
        # variables x (n) and y (m): max sum y, y_j <= x_j, 0 <= y_j <= 3
        c2 = np.concatenate([np.zeros(n), -np.ones(m)])
        rows = np.arange(m)
        a_ub = sparse.csr_matrix(
            (
                np.concatenate([-np.ones(m), np.ones(m)]),
                (np.concatenate([rows, rows]), np.concatenate([[self.index[k] for k in targets], n + rows])),
            ),
            shape=(m, n + m),
        )
        a_eq = None if self.a_eq is None else sparse.hstack([self.a_eq, sparse.csr_matrix((self.a_eq.shape[0], m))])
        res = linprog(
            c2,
            A_ub=a_ub,
            b_ub=np.zeros(m),
            A_eq=a_eq,
            b_eq=self.b_eq,
            bounds=self.bounds + [(0, PROTECT_UPPER)] * m,
            method="highs",
        )
        if res.status == 0:
            self._mark(res.x[:n], targets, zero, three)

    def extreme(self, key: Key, sense: int, zero=None, three=None, targets=None) -> float:
        """min (sense=1) or max (sense=-1) of the cell; inf when unbounded. The optimum also
        proves 0 or 3+ for other `targets` (added to `zero` / `three`)."""
        c = np.zeros(len(self.keys))
        c[self.index[key]] = sense
        res = self._solve(c)
        if res.status == 3:  # unbounded
            return -INF * sense
        if res.status == 2:
            raise AuditError(f"the published cells contradict the relations around {key!r} (infeasible)")
        if res.status != 0:
            raise AuditError(f"LP for {key!r} did not solve: {res.message}")
        if targets is not None:
            self._mark(res.x, targets, zero, three)
        value = float(res.fun) * sense
        if self.integer and self.a_eq is not None and abs(value - round(value)) > EPS:
            value = self._integer_extreme(c, sense, value)
        return value

    def _integer_extreme(self, c: np.ndarray, sense: int, relaxed: float) -> float:
        """The exact integer optimum where the LP's is fractional (bounded: the LP's is)."""
        lb = np.array([-INF if b[0] is None else b[0] for b in self.bounds])
        ub = np.array([INF if b[1] is None else b[1] for b in self.bounds])
        res = milp(
            c,
            integrality=np.ones(len(self.keys)),
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(self.a_eq, self.b_eq, self.b_eq),
        )
        if res.status == 2:
            raise AuditError("the published cells admit no integer solution (infeasible)")
        if res.status != 0:
            return relaxed  # no proof within the limits: keep the (valid, wider) LP bound
        return float(res.fun) * sense


def _inward(cell: Cell, lo: float, hi: float) -> tuple[float, float]:
    if cell.integer:
        lo = math.ceil(lo - EPS) if lo > -INF else lo
        hi = math.floor(hi + EPS) if hi < INF else hi
    return lo, hi


def judge(cell: Cell, lo: float, hi: float) -> tuple[bool, str]:
    """(breakable, reason) of a primary cell with the attacker's interval [lo, hi]."""
    protected = lo <= EPS and hi >= PROTECT_UPPER - EPS
    if protected:
        return False, "protected"
    if cell.true_value is not None:
        if not (0.5 <= abs(cell.true_value) <= 2.5):
            return False, "not a small count (another measure of the cell is)"
        return True, _why(lo, hi)
    # true value unknown: only an interval that shows 0 or at least 3 clears the measure
    if hi <= EPS or lo >= PROTECT_UPPER - EPS:
        return False, "cannot be the small count"
    return True, _why(lo, hi)


def _why(lo: float, hi: float) -> str:
    if lo > EPS:
        return "the attacker can prove a person exists (lower bound above 0)"
    return "the attacker can pin the count below 3 (upper bound below 3)"


def chain(problem: Problem, key: Key, rel_idx: list[int], limit: int = 6) -> list[str]:
    """The relations that link the cell to what is published, nearest first (breadth first)."""
    by_cell: dict[Key, list[int]] = defaultdict(list)
    for r in rel_idx:
        for k, _ in problem.relations[r].terms:
            by_cell[k].append(r)
    seen_r, seen_k, out = set(), {key}, []
    queue = deque([key])
    while queue and len(out) < limit:
        k = queue.popleft()
        for r in by_cell[k]:
            if r in seen_r:
                continue
            seen_r.add(r)
            out.append(problem.relations[r].name)
            for k2, _ in problem.relations[r].terms:
                if k2 not in seen_k and problem.unknown(k2):
                    seen_k.add(k2)
                    queue.append(k2)
    return out[:limit]


def _targets(problem: Problem) -> set[Key]:
    """Primary-suppressed cells that may be the small count (a measure whose true value is
    known not to be 1 or 2 is not the one to protect)."""
    out = set()
    for k, c in problem.cells.items():
        if c.suppressed and c.primary and (c.true_value is None or 0.5 <= abs(c.true_value) <= 2.5):
            out.add(k)
    return out


def _tolerance(values: Iterable[float]) -> float:
    return 1e-6 * (1.0 + sum(abs(v) for v in values if v not in (-INF, INF)))


def check_truth(problem: Problem) -> None:
    """Raise RelationDoesNotHold unless the true table fits the problem: every hidden cell's true
    value within its kind (sign, integer), every relation satisfied by the true values (published
    ones where the city layer has none, the cell's interval where neither is known). Where the
    audit runs in the city layer, this is what makes its bounds sound: the truth is one of the
    tables the attacker must consider."""
    for key, cell in problem.cells.items():
        t = cell.true_value
        if t is None or not cell.suppressed:
            continue
        if cell.nonnegative and t < -EPS:
            raise RelationDoesNotHold(
                f"cell kind: {_measure_name(key)} is taken as non-negative, its true value is not"
            )
        if cell.integer and abs(t - round(t)) > EPS:
            raise RelationDoesNotHold(f"cell kind: {_measure_name(key)} is taken as an integer, its true value is not")
    for rel in problem.relations:
        lo = hi = 0.0
        seen = []
        for k, coef in rel.terms:
            cell = problem.cells[k]
            if cell.true_value is not None:
                a = b = coef * cell.true_value
            else:
                a, b = sorted((coef * cell.lo, coef * cell.hi))
            lo, hi = lo + a, hi + b
            seen += [a, b]
        tol = _tolerance(seen)
        if lo > tol or hi < -tol:
            raise RelationDoesNotHold(f"the relation '{rel.name}' does not hold on the city layer's true values")


def _measure_name(key: Key) -> str:
    """indicator.measure of a cell key of the cell layout (the key itself otherwise)."""
    if isinstance(key, tuple) and len(key) == 8:
        return f"{key[3]}.{key[7]}"
    return repr(key)


def audit(
    problem: Problem, targets: Iterable[Key] | None = None, with_chain: bool = True, exact: bool = False
) -> list[Bound]:
    """The attacker's interval of every primary-suppressed cell (or of `targets`).

    exact=False (the default, fast): a feasible point with the cell at 0 proves lo = 0 and one
    with the cell at 3 or more proves hi >= 3, so two LPs per component (min of the sum, max of
    the capped sum) settle most cells; only the others get their own min / max LP. The reported
    hi of a protected cell is then PROTECT_UPPER (meaning: at least). exact=True solves every
    cell's min and max.
    """
    check_truth(problem)  # no-op without true values (the planners' copy)
    wanted = set(targets) if targets is not None else _targets(problem)
    out: list[Bound] = []
    components = _components(problem, wanted)
    zero, three = set(), set()
    if not exact:  # one LP pair over every component at once: most cells are settled here
        all_keys = [k for keys, rels in components if rels for k in keys]
        all_rels = sorted({r for _, rels in components for r in rels})
        if all_rels:
            _ComponentLP(problem, all_keys, all_rels).witness([k for k in all_keys if k in wanted], zero, three)
    for keys, rel_idx in components:
        mine = [k for k in keys if k in wanted]
        if not rel_idx:  # in no relation: the attacker knows only the sign
            for k in mine:
                c = problem.cells[k]
                out.append(Bound(k, c.lo, c.hi, *judge(c, c.lo, c.hi)))
            continue
        if not exact and all(k in zero and k in three for k in mine):
            for k in mine:
                c = problem.cells[k]
                out.append(Bound(k, 0.0, float(PROTECT_UPPER), *judge(c, 0.0, float(PROTECT_UPPER))))
            continue
        lp = _ComponentLP(problem, keys, rel_idx)
        for k in mine:
            cell = problem.cells[k]
            if exact:
                lo, hi = lp.extreme(k, 1), lp.extreme(k, -1)
            else:
                lo = 0.0 if k in zero else lp.extreme(k, 1, zero, three, mine)
                hi = float(PROTECT_UPPER) if k in three else lp.extreme(k, -1, zero, three, mine)
            lo, hi = _inward(cell, lo, hi)
            breakable, reason = judge(cell, lo, hi)
            out.append(
                Bound(k, lo, hi, breakable, reason, chain(problem, k, rel_idx) if breakable and with_chain else [])
            )
    return out


def bounds_of(problem: Problem, key: Key) -> tuple[float, float]:
    """The attacker's exact interval of one cell (rounded inward for integer cells)."""
    keys, rel_idx = component(problem, key)
    if not rel_idx:
        cell = problem.cells[key]
        return cell.lo, cell.hi
    lp = _ComponentLP(problem, keys, rel_idx)
    return _inward(problem.cells[key], lp.extreme(key, 1), lp.extreme(key, -1))
