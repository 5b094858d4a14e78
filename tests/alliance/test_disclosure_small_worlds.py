"""Package-side disclosure checks on the patterns of issue #4 (small demo worlds, scale 0.005 /
0.003). They mirror the dbt tests (tests/generic/disclosure_tests.sql) and the dbt unit tests
`dunkelziffer_primary_total_still_pulls_complement` and `district_complement_never_alone_in_its_column`."""

from __future__ import annotations

import polars as pl
import pytest

from orchestration.exchange_tables import cell_problems, district_cell_problems, dunkelziffer_problems

from .conftest import cell, district_cell, dunkelziffer_row


def _small_count_found(problems: list[str]) -> bool:
    return any("count of 1 or 2" in p for p in problems)


@pytest.mark.parametrize(
    "value, small", [(0.4, False), (0.5, True), (1.0, True), (2.5, True), (2.6, False), (3.0, False), (-2.5, True)]
)
def test_half_is_small_whichever_way_it_is_rounded(value, small):
    # Enschede EU2 2022-Q3 at 0.003: an average stock of 2.5 beside a published stock of 3
    # revealed the hidden stock of 2; DuckDB rounds 2.5 up, Polars to even - both must flag it.
    rows = [cell(indicator_id="migration_volume_rate", breakdown="total", numerator=0.0, denominator=value, value=0.0)]
    assert _small_count_found(cell_problems(pl.DataFrame(rows))) is small


def test_dunkelziffer_point_of_two_and_a_half_is_small():
    rows = [dunkelziffer_row("18-24", 40, 2.5, 0.0, 9.0), dunkelziffer_row("25-44", 60, 8.0, 4.0, 12.0)]
    assert any("count of 1 or 2" in p for p in dunkelziffer_problems(pl.DataFrame(rows)))


def test_dunkelziffer_single_withheld_band_is_found_even_if_the_estimate_total_is_small():
    # Mülheim EU2 at 0.005: registered_gone = 1 in 25-44 and 0 elsewhere; hiding 25-44 alone
    # leaves its registered count = published population minus the open bands.
    rows = [
        dunkelziffer_row("00-05", 15, 0.0, 0.0, 1.0, quantity="registered_gone"),
        dunkelziffer_row("18-24", 14, 0.0, 0.0, 1.0, quantity="registered_gone"),
        dunkelziffer_row("25-44", is_suppressed=True, suppression_reason="primary", quantity="registered_gone"),
    ]
    assert any("single age band" in p for p in dunkelziffer_problems(pl.DataFrame(rows)))
    fixed = (
        rows[:1]
        + [dunkelziffer_row("18-24", is_suppressed=True, suppression_reason="secondary", quantity="registered_gone")]
        + rows[2:]
    )
    assert dunkelziffer_problems(pl.DataFrame(fixed)) == []


def _two_district_table(complement: str) -> list[dict]:
    """Districts A/B x groups G1/G2/G3; B holds the only G2 persons and a primary 1 in G1."""
    counts = {
        ("A", "G1"): 10,
        ("A", "G3"): 20,
        ("A", "INSGESAMT"): 30,
        ("B", "G1"): 1,
        ("B", "G2"): 4,
        ("B", "G3"): 5,
        ("B", "INSGESAMT"): 10,
        ("INSGESAMT", "G1"): 11,
        ("INSGESAMT", "G2"): 4,
        ("INSGESAMT", "G3"): 25,
        ("INSGESAMT", "INSGESAMT"): 40,
    }
    hidden = {("B", "G1"), ("B", complement)} | ({("A", "G1"), ("A", "G3")} if complement == "G3" else {("A", "G1")})
    return [
        district_cell(
            d,
            g,
            None if (d, g) in hidden else n,
            is_suppressed=(d, g) in hidden,
            suppression_reason="primary" if n == 1 else ("secondary" if (d, g) in hidden else None),
        )
        for (d, g), n in counts.items()
    ]


def test_complement_alone_in_its_column_is_found():
    # the old choice: G2 (smallest open cell of row B) - but column G2 then hides one cell that
    # equals the published city figure
    problems = district_cell_problems(pl.DataFrame(_two_district_table("G2")))
    assert any("recoverable by subtraction" in p for p in problems)


def test_complement_in_a_shared_column_passes():
    assert district_cell_problems(pl.DataFrame(_two_district_table("G3"))) == []
