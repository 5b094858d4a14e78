"""Generic capture-history tables: one 0/1 column per list and a count column.

Lets published capture-recapture data sets be checked with the same methods the warehouse
uses: every pair of lists by Lincoln-Petersen and Chapman, all lists by log-linear
multiple-systems estimation.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl

from estimation.dual_system import dual_system
from estimation.loglinear import multiple_systems
from estimation.result import Estimate

COUNT_NAMES = ("count", "n", "freq", "anzahl", "aantal")


def read_capture_history(
    path: str | Path, lists: list[str] | None = None, count_col: str | None = None
) -> tuple[pl.DataFrame, list[str], str]:
    """Read a CSV (separator `,` or `;` detected) with 0/1 list columns and a count column."""
    text = Path(path).read_text(encoding="utf-8-sig")
    sep = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    df = pl.read_csv(Path(path), separator=sep, encoding="utf8-lossy")
    if count_col is None:
        count_col = next((c for c in df.columns if c.lower() in COUNT_NAMES), None)
        if count_col is None:
            raise ValueError(f"no count column (one of {COUNT_NAMES}) in {path}; name it with --count")
    lists = lists or [c for c in df.columns if c != count_col]
    missing = [c for c in lists + [count_col] if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in {path}: {missing}")
    for c in lists:
        bad = set(df[c].unique().to_list()) - {0, 1}
        if bad:
            raise ValueError(f"list column {c!r} must hold 0/1, found {sorted(bad)}")
    return df, lists, count_col


def estimate_capture_history(
    df: pl.DataFrame, lists: list[str], count_col: str = "count", structural_zeros: list[dict[str, int]] = ()
) -> list[tuple[str, Estimate]]:
    """All methods on one capture-history table: [(label, Estimate), ...].

    Rows whose histories are all zero are ignored (the unobserved cell cannot be given).
    """
    df = df.filter(pl.sum_horizontal([pl.col(c) for c in lists]) > 0)
    H = df.select(lists).to_numpy().astype(int)
    y = df[count_col].to_numpy().astype(float)
    out: list[tuple[str, Estimate]] = []
    for a, b in itertools.combinations(range(len(lists)), 2):
        n1, n2 = y[H[:, a] == 1].sum(), y[H[:, b] == 1].sum()
        m = y[(H[:, a] == 1) & (H[:, b] == 1)].sum()
        for method in ("lincoln_petersen", "chapman"):
            # Two lists alone see only the persons on either of them.
            out.append((f"{lists[a]}+{lists[b]}", dual_system(n1, n2, m, method=method)))
    out.append(("+".join(lists), multiple_systems(H, y, lists, structural_zeros=structural_zeros)))
    return out


def summary_table(results: list[tuple[str, Estimate]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "lists": label,
                "method": e.method,
                "point": round(e.point, 1),
                "lower": round(e.lower, 1),
                "upper": round(e.upper, 1),
                "model": ",".join(e.details.get("model", [])) or None,
                "warnings": "; ".join(e.warnings) or None,
            }
            for label, e in results
        ]
    )
