"""Generic capture-history tables: one 0/1 column per list and a count column.

Lets published capture-recapture data sets be checked with the same methods the warehouse
uses: every pair of lists by Lincoln-Petersen and Chapman (dual_system.py), all lists by
log-linear multiple-systems estimation (loglinear.py). The UK 2013 modern-slavery data (Bales,
Hesketh & Silverman 2015) are the reference test (tests/estimation/test_reference_values.py).

The table is checked once, the same way for the function and the command
(`check_capture_history`): a list value other than 0/1, an empty or non-numeric count, a
negative or fractional count, an empty table and a structural zero naming an unknown list are
errors with the row; rows with an all-zero history (unobservable: the unseen are what is
estimated) are dropped and every result says so, with the persons dropped.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import polars as pl

from estimation.dual_system import dual_system
from estimation.loglinear import multiple_systems
from estimation.result import Estimate, not_estimable

COUNT_NAMES = ("count", "n", "freq", "anzahl", "aantal")


def read_capture_history(
    path: str | Path, lists: list[str] | None = None, count_col: str | None = None
) -> tuple[pl.DataFrame, list[str], str]:
    """Read a CSV (separator `,` or `;` detected) with 0/1 list columns and a count column.
    Every column is read as text and checked by `check_capture_history` (a comma decimal such
    as `2,5` is a fractional count there, not a silent string)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if not text.strip():
        raise ValueError(f"{path} is empty")
    first = text.splitlines()[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    df = pl.read_csv(Path(path), separator=sep, encoding="utf8-lossy", infer_schema=False)
    if count_col is None:
        count_col = next((c for c in df.columns if c.lower() in COUNT_NAMES), None)
        if count_col is None:
            raise ValueError(f"no count column (one of {COUNT_NAMES}) in {path}; name it with --count")
    lists = lists or [c for c in df.columns if c != count_col]
    missing = [c for c in lists + [count_col] if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in {path}: {missing}")
    return df, lists, count_col


def _as_number(s: pl.Series, name: str) -> pl.Series:
    """A column as floats; text such as '2,5' or 'x' is an error naming the first bad row."""
    if s.dtype.is_numeric():
        return s.cast(pl.Float64)
    if s.dtype == pl.Boolean:
        return s.cast(pl.Float64)
    text = s.cast(pl.String).str.strip_chars()
    num = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    bad = (num.is_null() & text.is_not_null() & (text != "")).arg_true()
    if bad.len():
        i = int(bad[0])
        raise ValueError(f"row {i + 1}: {name} = {text[i]!r} is not a number")
    return num.set((text == "").fill_null(False), None)


def check_capture_history(
    df: pl.DataFrame, lists: list[str], count_col: str = "count", structural_zeros: list[dict[str, int]] = ()
) -> tuple[pl.DataFrame, list[str]]:
    """The table as 0/1 integer lists and whole-number counts, and the warnings every result
    must carry. Raises ValueError with the row (1-based, as in the file without its header) for
    a list value other than 0/1 or empty, an empty, negative or fractional count, fewer than two
    lists, an empty table or a structural zero naming a list not in the table."""
    if len(lists) < 2:
        raise ValueError(f"a capture history needs at least two lists, got {lists}")
    missing = [c for c in lists + [count_col] if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing}")
    if df.height == 0:
        raise ValueError("the capture-history table has no rows")
    for rule in structural_zeros:
        unknown = [name for name in rule if name not in lists]
        if unknown:
            raise ValueError(f"structural zero {rule} names lists not in the table: {unknown}")
        bad_v = [v for v in rule.values() if v not in (0, 1)]
        if bad_v:
            raise ValueError(f"structural zero {rule}: values must be 0 or 1")
    cols = {}
    for c in lists:
        v = _as_number(df[c], f"list {c!r}")
        if v.null_count():
            raise ValueError(f"row {int(v.is_null().arg_true()[0]) + 1}: list {c!r} is empty (must be 0 or 1)")
        bad = (~v.is_in([0.0, 1.0])).arg_true()
        if bad.len():
            raise ValueError(f"row {int(bad[0]) + 1}: list {c!r} must hold 0/1, found {v[int(bad[0])]:g}")
        cols[c] = v.cast(pl.Int8)
    n = _as_number(df[count_col], f"count {count_col!r}")
    if n.null_count():
        raise ValueError(f"row {int(n.is_null().arg_true()[0]) + 1}: the count is empty")
    for test, what in (
        (n < 0, "negative"),
        (n != n.round(0), "not a whole number of persons"),
        (~n.is_finite(), "not finite"),
    ):
        bad = test.arg_true()
        if bad.len():
            raise ValueError(f"row {int(bad[0]) + 1}: count {n[int(bad[0])]:g} is {what}")
    out = pl.DataFrame({**cols, count_col: n})
    unseen = out.filter(pl.sum_horizontal([pl.col(c) for c in lists]) == 0)
    warnings = []
    if unseen.height:
        warnings.append(
            f"{unseen.height} row(s) with an all-zero history ({unseen[count_col].sum():g} persons) dropped: "
            "nobody on any list is unobservable - that cell is what the methods estimate"
        )
    return out.filter(pl.sum_horizontal([pl.col(c) for c in lists]) > 0), warnings


def estimate_capture_history(
    df: pl.DataFrame, lists: list[str], count_col: str = "count", structural_zeros: list[dict[str, int]] = ()
) -> list[tuple[str, Estimate]]:
    """All methods on one capture-history table: [(label, Estimate), ...]; the table is checked
    first (`check_capture_history`). A method not defined for the counts (no overlap between two
    lists, nobody on more than one list, an empty list) gives a not-estimable result with the
    reason instead of an error."""
    table, warnings = check_capture_history(df, lists, count_col, structural_zeros)
    H = table.select(lists).to_numpy().astype(int)
    y = table[count_col].to_numpy().astype(float)
    out: list[tuple[str, Estimate]] = []
    for a, b in itertools.combinations(range(len(lists)), 2):
        n1, n2 = y[H[:, a] == 1].sum(), y[H[:, b] == 1].sum()
        m = y[(H[:, a] == 1) & (H[:, b] == 1)].sum()
        for method in ("lincoln_petersen", "chapman"):
            # Two lists alone see only the persons on either of them.
            out.append((f"{lists[a]}+{lists[b]}", dual_system(n1, n2, m, method=method)))
    label = "+".join(lists)
    try:
        mse = multiple_systems(H, y, lists, structural_zeros=structural_zeros)
    except ValueError as exc:  # nothing identifiable: a reason, not a crash
        mse = not_estimable("mse_loglinear", "residents", str(exc), inputs={"lists": lists, "n_seen": float(y.sum())})
        mse.details.update(model=[], alternatives=[], not_estimable=[])
    out.append((label, mse))
    for _, e in out:
        e.warnings.extend(warnings)
        e.inputs["dropped_all_zero_rows"] = df.height - table.height
    return out


def summary_table(results: list[tuple[str, Estimate]]) -> pl.DataFrame:
    def r(x):
        return round(x, 1) if x is not None and math.isfinite(x) else None

    return pl.DataFrame(
        [
            {
                "lists": label,
                "method": e.method,
                "point": r(e.point),
                "lower": r(e.lower),
                "upper": r(e.upper),
                "model": ",".join(e.details.get("model", [])) or None,
                "warnings": "; ".join(e.warnings) or None,
            }
            for label, e in results
        ],
        schema={
            "lists": pl.String,
            "method": pl.String,
            "point": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "model": pl.String,
            "warnings": pl.String,
        },
    )
