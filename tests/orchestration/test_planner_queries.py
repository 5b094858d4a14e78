"""The README's planner queries are the tested ones: written once in docs/planner_queries.md,
the README section generated from it (tests/alliance/test_published_demo.py runs them)."""

from __future__ import annotations

import pytest

from orchestration import planner_queries as pq


def test_readme_shows_the_page():
    readme = pq.README.read_text(encoding="utf-8")
    assert pq.readme_with_section(readme, pq.readme_section()) == readme, (
        "README.md differs from docs/planner_queries.md: run python -m orchestration.planner_queries"
    )
    assert pq.main(["--check"]) == 0


def test_every_query_and_command_of_the_page_is_in_the_readme():
    readme = pq.README.read_text(encoding="utf-8")
    assert len(pq.queries()) >= 6 and all(q in readme for q in pq.queries())
    assert pq.commands(prefix="python -m orchestration.publish excel")


def test_a_drifted_readme_is_found(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    text = pq.README.read_text(encoding="utf-8")
    readme.write_text(text.replace("where city = 'muenster'", "where city = 'dortmund'", 1), encoding="utf-8")
    monkeypatch.setattr(pq, "README", readme)
    assert pq.main(["--check"]) == 1
    assert pq.main([]) == 0 and readme.read_text(encoding="utf-8") == text  # rewritten from the page


def test_excel_paragraph_sits_next_to_its_command():
    page = pq.SOURCE.read_text(encoding="utf-8")
    paragraph = page.index("One Excel workbook per city")
    command = page.index("python -m orchestration.publish excel")
    assert 0 < command - paragraph < 300
    assert "```sql" not in page[paragraph:command]


def test_markers_must_be_there():
    with pytest.raises(ValueError, match="markers"):
        pq.readme_with_section("no markers here", pq.readme_section())
