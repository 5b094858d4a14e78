"""When a quarter's report is due: the first working day after the quarter, plus a delay.

Working days are Monday to Friday; public holidays are not modelled (the delay absorbs them).
"""

from __future__ import annotations

import datetime as dt

from reports.data import parse_quarter
from warehouse.settings import report_delay_working_days


def _next_working_day(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def quarter_end(quarter: str) -> dt.date:
    year, q = parse_quarter(quarter)
    first_next = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first_next - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def report_due_date(quarter: str, delay: int | None = None) -> dt.date:
    """First working day after the quarter, then `delay` further working days."""
    delay = report_delay_working_days() if delay is None else delay
    day = _next_working_day(quarter_end(quarter) + dt.timedelta(days=1))
    for _ in range(delay):
        day = _next_working_day(day + dt.timedelta(days=1))
    return day


def previous_quarter(day: dt.date) -> str:
    """The quarter that ended last before `day`."""
    return quarter_of(dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - dt.timedelta(days=1))


def quarter_due_on(day: dt.date, delay: int | None = None) -> str | None:
    """The quarter whose report is due on `day`, if any (only the quarter just ended can be)."""
    quarter = previous_quarter(day)
    return quarter if report_due_date(quarter, delay) == day else None


def quarters_between(first: str, last: str) -> list[str]:
    y, q = parse_quarter(first)
    ly, lq = parse_quarter(last)
    out = []
    while (y, q) <= (ly, lq):
        out.append(f"{y}-Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out
