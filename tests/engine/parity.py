"""Row-for-row comparison of two engines' tables (tests/engine/test_spark_parity.py): the same
columns, the same rows in any order, doubles equal to a relative tolerance. Plain Python over
fetched rows, so the comparison itself is tested without Spark (test_parity_compare.py)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

REL_TOL = 1e-9  # doubles: the engines' libm and summation orders differ in the last bits


def _value(value):
    """One spelling across the engines' Python types; doubles (and decimals) as float."""
    if isinstance(value, float | Decimal):
        value = float(value)
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return tuple(_value(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if hasattr(value, "asDict"):  # a Spark struct (Row) as DuckDB's dict
        value = value.asDict(recursive=False)
    if isinstance(value, dict):
        return tuple(sorted((k, _value(v)) for k, v in value.items()))
    return value


def _is_float(value) -> bool:
    return isinstance(value, float) or (isinstance(value, tuple) and any(_is_float(v) for v in value))


def _close(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-300) or (math.isinf(a) and a == b)
    return a == b


def _sort_key(row) -> tuple:
    """Doubles by value (a last-bit difference must not move a row past its neighbour)."""
    return tuple((v is None, type(v).__name__, v if isinstance(v, float) else repr(v)) for v in row)


def _closest(row, rows) -> tuple:
    return max(rows, key=lambda other: sum(_close(a, b) for a, b in zip(row, other, strict=False)))


def _describe(row, other, columns) -> str:
    """The columns in which `row` and `other` differ, with both values."""
    names = columns or [f"#{i}" for i in range(len(row))]
    return "; ".join(
        f"{n}: {a!r} != {b!r}"
        for n, a, b in zip(names, row, other, strict=False)
        if not _close(a, b) or _is_float(a) != _is_float(b)  # 10.0 against 10: a double against an integer
    )


def compare_rows(left, right, columns=None) -> str | None:
    """None when the two row sets are equal (any order; doubles to REL_TOL), else the first
    difference (by `columns`, the names of the positions). Rows are grouped by their exact values (the doubles left out) and each group's
    rows are matched in the order of their doubles, so a difference in the last bit of a double
    neither reorders rows of other groups nor counts as a difference."""
    left = [tuple(_value(v) for v in row) for row in left]
    right = [tuple(_value(v) for v in row) for row in right]
    if len(left) != len(right):
        return f"{len(left)} rows != {len(right)} rows"
    groups: dict[tuple, list[list[tuple]]] = defaultdict(lambda: [[], []])
    for side, rows in enumerate((left, right)):
        for row in rows:
            exact = tuple(None if _is_float(v) else v for v in row)
            groups[tuple((v is None, repr(v)) for v in exact)][side].append(row)
    for key in sorted(groups):
        a_rows, b_rows = (sorted(rows, key=_sort_key) for rows in groups[key])
        if len(a_rows) != len(b_rows):
            row, others = (a_rows[0], right) if len(a_rows) > len(b_rows) else (b_rows[0], left)
            side = "left" if len(a_rows) > len(b_rows) else "right"
            return f"a {side} row without its match, closest: {_describe(row, _closest(row, others), columns)}"
        for a, b in zip(a_rows, b_rows, strict=True):
            if not _close(a, b):
                return _describe(a, b, columns)
    return None
