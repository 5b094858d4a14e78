"""Render a report document to a self-contained HTML file and a PDF.

Engine: Quarto when `quarto` is on the PATH; otherwise the same .qmd goes through
jupytext (Rmd reader: `{python}` chunks with `#|` options) -> nbclient (Jupyter kernel) ->
Markdown -> pandoc (HTML with embedded resources; Typst markup) -> typst (PDF).
The choice is logged and recorded in the manifest JSON written beside the outputs, together
with what the report was built from. Output that fails the disclosure scan is not published.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from reports import i18n
from reports.disclosure import DisclosureError, scan_output
from reports.leakscan import json_problems, scan_pdf
from reports.sections import page_footer_text
from warehouse.settings import REPO_ROOT, published_path, reports_output_dir

log = logging.getLogger(__name__)

REPORTS_DIR = Path(__file__).resolve().parent
DOCUMENTS = {"quarterly": REPORTS_DIR / "quarterly.qmd", "city_profile": REPORTS_DIR / "city_profile.qmd"}
CSS = REPORTS_DIR / "assets" / "report.css"
KERNEL = "python3"
CELL_TIMEOUT_S = 600
_OPTION = re.compile(r"^#\|\s*([\w-]+):\s*(.*)$")


@dataclass
class RenderResult:
    engine: str
    outputs: dict[str, Path]  # format -> file
    manifest: Path
    seconds: float
    build_info: dict = field(default_factory=dict)


def engine_name() -> str:
    return "quarto" if shutil.which("quarto") else "jupyter+pandoc+typst"


def _split_front_matter(text: str) -> tuple[dict, str]:
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    if not m:
        return {}, text
    return yaml.safe_load(m.group(1)) or {}, text[m.end() :]


def _cell_options(source: str) -> tuple[dict, str]:
    """`#| key: value` lines at the top of a chunk -> options (YAML values), remaining code."""
    opts, lines = {}, source.splitlines()
    while lines and (m := _OPTION.match(lines[0])):
        opts[m.group(1)] = yaml.safe_load(m.group(2))
        lines.pop(0)
    return opts, "\n".join(lines)


def _notebook(qmd: Path, params: dict):
    """The .qmd as a notebook, with a cell after the `parameters` cell that sets `params`."""
    import jupytext
    import nbformat

    meta, body = _split_front_matter(qmd.read_text(encoding="utf-8"))
    nb = jupytext.reads(body, fmt="Rmd")
    injected = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in params.items()))
    injected.metadata["report_options"] = {"echo": False}
    cells, found = [], False
    for cell in nb.cells:
        if cell.cell_type == "code":
            opts, code = _cell_options(cell.source)
            cell.source = code
            cell.metadata["report_options"] = opts
        cells.append(cell)
        if cell.cell_type == "code" and "parameters" in (cell.metadata["report_options"].get("tags") or []):
            cells.append(injected)
            found = True
    if not found:
        raise ValueError(f"{qmd.name}: no cell tagged `parameters`")
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    return meta, nb


def _execute(nb, build_dir: Path) -> None:
    from nbclient import NotebookClient

    env_path = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHONPATH"] = env_path  # the kernel inherits it and imports `reports`
    NotebookClient(
        nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(build_dir)}}
    ).execute()


def _to_markdown(nb, build_dir: Path) -> str:
    """Executed notebook -> Markdown: `output: asis` text verbatim, other text as code blocks."""
    parts: list[str] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        opts = cell.metadata.get("report_options", {})
        if opts.get("echo"):
            parts.append(f"```python\n{cell.source}\n```")
        asis = opts.get("output") == "asis"
        for j, out in enumerate(cell.get("outputs", [])):
            if out.output_type == "error":
                raise RuntimeError(f"cell {i} failed: {out.ename}: {out.evalue}")
            if out.output_type == "stream" and out.name == "stdout":
                parts.append(out.text if asis else f"```\n{out.text}\n```")
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/png" in data:
                    img = build_dir / f"cell{i}_{j}.png"
                    img.write_bytes(base64.b64decode(data["image/png"]))
                    parts.append(f"![]({img.name})")
                elif "text/markdown" in data:
                    parts.append(data["text/markdown"])
    return "\n\n".join(parts) + "\n"


def _pandoc(args: list[str], cwd: Path) -> None:
    import pypandoc

    cmd = [pypandoc.get_pandoc_path(), *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pandoc failed: {proc.stderr.strip()}")


def _build_info(build_dir: Path) -> dict:
    path = build_dir / "build_info.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _typst_escape(text: str) -> str:
    return re.sub(r"([\\#\[\]*_$@<>`])", r"\\\1", text)


def _typst_footer(text: str, lang: str) -> str:
    """Footer on every PDF page (the synthetic-data mark included), set before the first page."""
    return (
        f"#set page(footer: context [#text(size: 8pt)[{_typst_escape(text)} #h(1fr) "
        f"{i18n.t('footer', lang)} #counter(page).display()]])\n"
        # long tables continue on the next page instead of running into the footer
        "#show figure: set block(breakable: true)\n"
        # no hyphens and no stretched word spaces inside table cells ("Dort-mund", "insge-samt")
        "#show table.cell: set text(hyphenate: false)\n"
        "#show table.cell: set par(justify: false)\n"
    )


def _render_fallback(
    qmd: Path, params: dict, build_dir: Path, stem: str, formats: list[str], title: str, lang: str
) -> dict[str, Path]:
    meta, nb = _notebook(qmd, params)
    _execute(nb, build_dir)
    md = build_dir / f"{stem}.md"
    md.write_text(_to_markdown(nb, build_dir), encoding="utf-8")
    common = [
        "--from",
        "markdown",
        "--metadata",
        f"title={title}",
        "--metadata",
        f"lang={lang}",
        "--toc",
        "--toc-depth=1",
        # pipe tables as auto-width tables: with pandoc's default of 72 columns every longer table
        # got fixed equal widths and city names broke over three lines
        "--columns=1000",
    ]
    synthetic = _build_info(build_dir).get("synthetic", False)
    if synthetic:
        common += ["--metadata", f"subtitle={i18n.t('synthetic_footer', lang)}"]
    outputs: dict[str, Path] = {}
    if "html" in formats:
        outputs["html"] = build_dir / f"{stem}.html"
        _pandoc(
            [md.name, *common, "--standalone", "--embed-resources", "--css", str(CSS), "-o", outputs["html"].name],
            build_dir,
        )
    if "pdf" in formats:
        import typst

        typ = build_dir / f"{stem}.typ"
        header = build_dir / "page_footer.typ"
        header.write_text(
            _typst_footer(page_footer_text(title, params["alliance"], params["quarter"], lang, synthetic), lang),
            encoding="utf-8",
        )
        _pandoc(
            [
                md.name,
                *common,
                "--standalone",
                "-t",
                "typst",
                "-V",
                "papersize=a4",
                "-V",
                "fontsize=10pt",
                "-V",
                "margin.x=2cm",
                "-V",
                "margin.y=2.2cm",
                "-H",
                header.name,
                "-o",
                typ.name,
            ],
            build_dir,
        )
        outputs["pdf"] = build_dir / f"{stem}.pdf"
        typst.compile(str(typ), output=str(outputs["pdf"]), root=str(build_dir))
    return outputs


def _render_quarto(
    qmd: Path, params: dict, build_dir: Path, stem: str, formats: list[str], title: str, lang: str
) -> dict[str, Path]:
    doc = build_dir / f"{stem}.qmd"
    shutil.copy(qmd, doc)
    outputs = {}
    for fmt, to in (("html", "html"), ("pdf", "typst")):
        if fmt not in formats:
            continue
        cmd = ["quarto", "render", doc.name, "--to", to, "-M", f"title:{title}", "-M", f"lang:{lang}"]
        for k, v in params.items():
            cmd += ["-P", f"{k}:{v}"]
        subprocess.run(cmd, cwd=build_dir, check=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        outputs[fmt] = build_dir / f"{stem}.{'html' if fmt == 'html' else 'pdf'}"
    return outputs


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _previous_build_time(alliance_dir: Path, quarter: str, document: str, lang: str) -> str | None:
    """When the last report before this quarter was built (revisions are listed since then)."""
    earlier = sorted(p for p in alliance_dir.glob(f"*/{document}_{lang}.json") if p.parent.name < quarter)
    if not earlier:
        return None
    return json.loads(earlier[-1].read_text())["built_at"]


def _quality_summary(db_path: Path) -> dict:
    """Data version (loaded files and a hash over them) and check outcomes at build time, from
    the published copy's aggregated bookkeeping (schema `publication`)."""
    from warehouse.db import connect

    with connect(db_path, read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()
        }
        out: dict = {}
        about_cols = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'publication' "
                "AND table_name = 'about'"
            ).fetchall()
        }
        if {"loaded_files", "data_version"} <= about_cols:
            out["loaded_files"], out["data_version"] = con.execute(
                "SELECT loaded_files, data_version FROM publication.about"
            ).fetchone()
            out["published_at"] = str(con.execute("SELECT published_at FROM publication.about").fetchone()[0])
        if "publication.quality_check_counts" in tables:
            out["check_outcomes"] = dict(
                con.execute(
                    "SELECT outcome, sum(n_results)::bigint FROM publication.quality_check_counts GROUP BY outcome"
                ).fetchall()
            )
        if "publication.load_runs" in tables:
            last = con.execute(
                "SELECT run_id, finished_at FROM publication.load_runs ORDER BY finished_at DESC NULLS LAST LIMIT 1"
            ).fetchone()
            out["last_load_run"] = list(last) if last else None
    return out


def render_report(
    alliance: str = "alle",
    quarter: str = "2026-Q3",
    lang: str = i18n.DEFAULT_LANGUAGE,
    formats: tuple[str, ...] | list[str] = ("html", "pdf"),
    *,
    document: str = "quarterly",
    city: str = "",
    warehouse: Path | str | None = None,
    output_dir: Path | str | None = None,
) -> RenderResult:
    """Render one document for an alliance, quarter and language into `<out>/<alliance>/<quarter>/`."""
    i18n.check_language(lang)
    formats = [f for f in formats]
    if not set(formats) <= {"html", "pdf"} or not formats:
        raise ValueError(f"formats must be a subset of html,pdf; got {formats}")
    qmd = DOCUMENTS[document]
    db_path = Path(warehouse) if warehouse else published_path()
    if not db_path.exists():
        raise FileNotFoundError(f"warehouse {db_path} does not exist (run the pipeline and publish first)")
    base = Path(output_dir) if output_dir else reports_output_dir()
    out_dir = base / alliance / quarter
    stem = f"{document}_{lang}" + (f"_{city}" if city else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    # Build in a private temporary folder: a failed or refused render leaves nothing in the
    # publication folder.
    with tempfile.TemporaryDirectory(prefix=f"report_{stem}_") as tmp:
        return _render_into(
            Path(tmp), qmd, db_path, base, out_dir, stem, alliance, quarter, lang, formats, document, city
        )


def _render_into(
    build_dir: Path,
    qmd: Path,
    db_path: Path,
    base: Path,
    out_dir: Path,
    stem: str,
    alliance: str,
    quarter: str,
    lang: str,
    formats: list[str],
    document: str,
    city: str,
) -> RenderResult:
    params = {
        "alliance": alliance,
        "quarter": quarter,
        "lang": lang,
        "city": city,
        "warehouse": str(db_path),
        "build_dir": str(build_dir),
        "since": _previous_build_time(base / alliance, quarter, document, lang) or "",
    }
    title = i18n.t("profile_title" if document == "city_profile" else "title", lang) + f" – {quarter}"
    engine = engine_name()
    log.info("report %s %s %s: rendering with %s", alliance, quarter, lang, engine)
    started = time.perf_counter()
    render = _render_quarto if engine == "quarto" else _render_fallback
    built = render(qmd, params, build_dir, stem, formats, title, lang)
    seconds = time.perf_counter() - started

    chart_csvs = sorted((build_dir / "figures").glob("*.csv"))
    problems = scan_output([*(p for f, p in built.items() if f == "html"), *chart_csvs])
    problems += [p for f, path in built.items() if f == "pdf" for p in scan_pdf(path)]  # reports.leakscan
    if problems:
        raise DisclosureError("report not published, disclosure scan found:\n" + "\n".join(problems[:20]))
    build_info = _build_info(build_dir)

    # Publish atomically per file: copy next to the target, then rename.
    outputs: dict[str, Path] = {}
    for fmt, src in built.items():
        dst = out_dir / src.name
        tmp = dst.with_suffix(dst.suffix + ".tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
        outputs[fmt] = dst
    chart_dir = out_dir / f"{stem}_chart_data"
    if chart_dir.exists():
        shutil.rmtree(chart_dir)
    if chart_csvs:
        chart_dir.mkdir()
        for p in chart_csvs:
            shutil.copyfile(p, chart_dir / p.name)
    manifest = out_dir / f"{stem}.json"
    record = {
        "document": document,
        "alliance": alliance,
        "quarter": quarter,
        "lang": lang,
        "city": city or None,
        "engine": engine,
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "render_seconds": round(seconds, 2),
        "warehouse": str(db_path),
        "outputs": {f: {"file": p.name, "sha256": _sha256(p)} for f, p in outputs.items()},
        "synthetic": build_info.get("synthetic"),
        "missing_cities": build_info.get("missing_cities", []),
        "partly_blocked_cities": build_info.get("partly_blocked_cities", []),
        # estimates whose interval (or point) left the logically possible range and is shown bounded
        "intervals_bounded": build_info.get("intervals_bounded", []),
        "report_suppressed_cells": build_info.get("report_suppressed_cells"),
        "tables_present": build_info.get("tables_present"),
        "charts": build_info.get("charts", []),
        "sources": _quality_summary(db_path),
        "disclosure_scan": "passed",
        "python": sys.version.split()[0],
    }
    leaks = json_problems(json.loads(json.dumps(record, default=str)), manifest.name)  # reports.leakscan
    if leaks:
        raise DisclosureError("report manifest not written, the leak scan found:\n" + "\n".join(leaks[:20]))
    tmp = manifest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, manifest)
    log.info("report %s written in %.1f s: %s", stem, seconds, ", ".join(str(p) for p in outputs.values()))
    return RenderResult(engine=engine, outputs=outputs, manifest=manifest, seconds=seconds, build_info=build_info)
