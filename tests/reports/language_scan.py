"""Find English sentences in a German or Dutch render: the English texts of the code (the report's
own wording, the estimation methods' assumptions, the dbt models' explanations) and of the data
the report reads (catalogue, estimates, quality checks), cut into clauses, looked for in the
visible text; plus a check for sentences full of English function words."""

from __future__ import annotations

import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
MIN_WORDS = 4
# English words that German and Dutch prose does not use ("of" is Dutch for "or"); two of them
# make a sentence suspect
ENGLISH_WORDS = {"the", "and", "for", "with", "which", "this", "that", "from", "have", "were", "been", "their"}


class _Visible(HTMLParser):
    """The text a reader sees: no markup, no style/script, no code (identifiers stay as they are)."""

    SKIP = {"style", "script", "code", "pre"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).replace("\u00a0", " ")


def clauses(text: str) -> list[str]:
    """Clauses of at least MIN_WORDS words, lower case, placeholders removed."""
    text = re.sub(r"\{[^}]*\}", "|", text or "")
    out = []
    for part in re.split(r"[;:.()|\[\]\n]", text):
        words = re.findall(r"[^\W\d_][\w'-]*", part.lower())
        if len(words) >= MIN_WORDS:
            out.append(" ".join(words))
    return out


def code_texts() -> list[str]:
    """English texts of the code: the report's labels and phrases (where they differ from the
    German and Dutch ones), the estimation modules' assumption texts, the dbt models' literals."""
    from reports import i18n, phrases

    texts = [v["en"] for v in i18n.LABELS.values() if v["en"] not in (v["de"], v["nl"])]
    texts += [m[k]["en"] for m in phrases.METHODS.values() for k in ("name", "assumptions")]
    texts += [v["en"] for v in phrases.SOURCES.values()]
    import estimation

    for info in pkgutil.iter_modules(estimation.__path__):
        module = importlib.import_module(f"estimation.{info.name}")
        texts += [
            v
            for k, v in vars(module).items()
            if isinstance(v, str) and k.isupper() and ("ASSUMPTION" in k or "CAVEAT" in k)
        ]
    for sql in (REPO_ROOT / "dbt_project" / "models").rglob("*.sql"):
        texts += re.findall(r"'([^']*)'", sql.read_text(encoding="utf-8"))
    return texts


def data_texts(db: Path) -> list[str]:
    """English texts in the published copy the report reads."""
    queries = [
        "select definition, caveats, reading_aid, name_en from reference.indicator_catalogue",
        "select assumptions, warnings, interval_method from alliance.fct_dunkelziffer_estimates",
        "select explanation, official_definition from alliance.fct_register_vs_official",
        "select not_comparable_reason, blocked_reason from alliance.fct_intercity_indicators",
        "select reason from publication.quality_gate",
    ]
    out: list[str] = []
    with duckdb.connect(str(db), read_only=True) as con:
        for q in queries:
            for row in con.execute(q).fetchall():
                out += [c for c in row if isinstance(c, str)]
    return out


def english_in(html: str, texts: list[str]) -> list[str]:
    """English clauses of `texts` that appear in the render, and visible sentences that read English."""
    seen = visible_text(html).lower()
    seen_words = " ".join(re.findall(r"[^\W\d_][\w'-]*", seen))
    found = sorted({c for t in texts for c in clauses(t) if c in seen_words})
    for sentence in re.split(r"(?<=[.!?])\s+", visible_text(html)):
        words = re.findall(r"[a-z]+", sentence.lower())
        if len([w for w in words if w in ENGLISH_WORDS]) >= 2:
            found.append(sentence.strip()[:160])
    return found
