"""The planners' queries: written once, in docs/planner_queries.md; the README shows the same text.

`docs/planner_queries.md` is the source: its SQL blocks are what the tests run against the
published copy of a demo build (tests/alliance/test_published_demo.py), its shell blocks the
commands they run. The README's section between the two markers below is generated from it
(everything after the page's introduction, headings one level down):

    python -m orchestration.planner_queries          # rewrite the README section
    python -m orchestration.planner_queries --check  # exit 1 if the README differs (a test does this)
"""

from __future__ import annotations

import argparse
import re
import shlex

from warehouse.settings import REPO_ROOT

SOURCE = REPO_ROOT / "docs" / "planner_queries.md"
README = REPO_ROOT / "README.md"
BEGIN = "<!-- planner queries: generated from docs/planner_queries.md (python -m orchestration.planner_queries) -->"
END = "<!-- end of planner queries -->"
FIRST_QUERY = re.compile(r"^## 1\. ", re.M)


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def queries(text: str | None = None) -> list[str]:
    """Every SQL statement of the page, in order."""
    text = SOURCE.read_text(encoding="utf-8") if text is None else text
    return [q.strip() for block in _blocks(text, "sql") for q in block.split(";") if q.strip()]


def commands(text: str | None = None, prefix: str = "python -m ") -> list[list[str]]:
    """The shell commands of the page that start with `prefix`, split into words."""
    text = SOURCE.read_text(encoding="utf-8") if text is None else text
    lines = [line.split("#")[0].strip() for block in _blocks(text, "bash") for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith(prefix)]


def readme_section(text: str | None = None) -> str:
    """The README's copy: the page from its first query on, each heading one level down."""
    text = SOURCE.read_text(encoding="utf-8") if text is None else text
    start = FIRST_QUERY.search(text)
    if start is None:
        raise ValueError(f"{SOURCE}: no '## 1. ' heading")
    body = re.sub(r"^(#+) ", r"#\1 ", text[start.start() :], flags=re.M)
    return f"{BEGIN}\n{body.strip()}\n{END}"


def readme_with_section(readme: str, section: str) -> str:
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise ValueError(f"{README}: the markers {BEGIN!r} and {END!r} must occur once each")
    head, rest = readme.split(BEGIN)
    tail = rest.split(END, 1)[1]
    return head + section + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.planner_queries", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the README is up to date")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    wanted = readme_with_section(readme, readme_section())
    if wanted == readme:
        print(f"{README.name}: planner queries up to date")
        return 0
    if args.check:
        print(f"{README.name}: planner queries differ from {SOURCE.relative_to(REPO_ROOT)}; run {parser.prog}")
        return 1
    README.write_text(wanted, encoding="utf-8")
    print(f"{README.name}: planner queries rewritten from {SOURCE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
