"""The night's repair re-audits by scope: a scope is a city-period, or the city-periods that a
relation links (a year and its quarters, stock(t) and stock(t-1)). A change in one quarter must
send its year's other quarters to the audit too; an unlinked city-period stays a scope of its own."""

from __future__ import annotations

from types import SimpleNamespace

from disclosure.lp import Cell, Problem
from disclosure.warehouse import scope_digests, scopes_of


def _key(city: str, period: str, indicator: str = "inflow") -> tuple:
    return (city, period, "register", indicator, "total", "INSGESAMT", "INSGESAMT", "numerator")


def _world(q2_inflow: float = 4.0) -> SimpleNamespace:
    p = Problem()
    values = {"2025-Q1": 3.0, "2025-Q2": q2_inflow, "2025-Q3": 5.0, "2025-Q4": 6.0}
    for period, v in values.items():
        p.cells[_key("muenster", period)] = Cell(lo=v, hi=v)
        p.cells[_key("enschede", period)] = Cell(lo=2.0, hi=2.0)
    p.cells[_key("muenster", "2025")] = Cell(lo=sum(values.values()), hi=sum(values.values()))
    # a year of Münster is the sum of its quarters (disclosure.periods); Enschede publishes no year
    p.add_relation("year", [(_key("muenster", "2025"), 1.0)] + [(_key("muenster", q), -1.0) for q in values])
    return SimpleNamespace(problem=p)


def test_a_year_links_its_quarters_into_one_scope():
    scope_of = scopes_of(_world())
    muenster = {scope_of[("muenster", q)] for q in ("2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")}
    assert len(muenster) == 1
    enschede = {scope_of[("enschede", q)] for q in ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")}
    assert len(enschede) == 4 and not enschede & muenster


def test_a_changed_quarter_changes_the_digest_of_its_whole_year():
    before, after = _world(), _world(q2_inflow=5.0)
    d_before = scope_digests(before, scopes_of(before))
    d_after = scope_digests(after, scopes_of(after))
    changed = {s for s in d_before if d_after.get(s) != d_before[s]}
    scope_of = scopes_of(after)
    assert changed == {scope_of[("muenster", "2025-Q1")]}  # the year's scope, which holds Q1 as well
    assert scope_of[("enschede", "2025-Q2")] not in changed
