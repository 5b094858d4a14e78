"""A minimal, fast .xlsx writer for the `xlsx-report` dialect.

xlsxwriter (and openpyxl) write cell by cell in Python, which took over a minute for the
Duisburg population files of the default demo world. This writer builds the sheet XML with
vectorised Polars string expressions instead: inline strings, numbers, and dates as Excel
serial numbers with a `yyyy-mm-dd` number format, on the first sheet (named `Sheet`, as in the
example files). Readers (fastexcel/calamine, openpyxl, Excel) see an ordinary workbook.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import polars as pl

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_EXCEL_EPOCH = date(1899, 12, 30)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _esc(e: pl.Expr) -> pl.Expr:
    return (
        e.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _text_cell(ref: str, text: str) -> str:
    t = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{t}</t></is></c>'


def _cell_expr(name: str, dtype: pl.DataType, letter: str, numeric_text: bool) -> pl.Expr:
    ref = pl.lit(f'<c r="{letter}') + pl.col("__row")
    col = pl.col(name)
    if dtype == pl.Date:
        serial = (col - pl.lit(_EXCEL_EPOCH)).dt.total_days().cast(pl.String)
        return ref + pl.lit('" s="1"><v>') + serial + pl.lit("</v></c>")
    if dtype.is_numeric():
        return ref + pl.lit('"><v>') + col.cast(pl.String) + pl.lit("</v></c>")
    text = col.cast(pl.String)
    as_str = ref + pl.lit('" t="inlineStr"><is><t>') + _esc(text) + pl.lit("</t></is></c>")
    if numeric_text:  # counts that may be `*`: numbers as numbers, `*` as text
        as_num = ref + pl.lit('"><v>') + text + pl.lit("</v></c>")
        return pl.when(text.str.contains(r"^\d+$")).then(as_num).otherwise(as_str)
    return as_str


def write_xlsx(df: pl.DataFrame, path: Path, title_rows: list[str], numeric_text: set[str] = frozenset()) -> None:
    """Title rows from row 1, one empty row, the header, then the data (header row = len(titles)+2)."""
    header_row = len(title_rows) + 2
    head = [f'<row r="{i + 1}">{_text_cell(f"A{i + 1}", t)}</row>' for i, t in enumerate(title_rows)]
    head.append(
        f'<row r="{header_row}">'
        + "".join(_text_cell(f"{_col_letter(i)}{header_row}", c) for i, c in enumerate(df.columns))
        + "</row>"
    )
    letters = [_col_letter(i) for i in range(df.width)]
    body = ""
    if df.height:
        rows = df.with_columns(pl.int_range(header_row + 1, header_row + 1 + df.height).cast(pl.String).alias("__row"))
        cells = [_cell_expr(c, t, letters[i], c in numeric_text) for i, (c, t) in enumerate(df.schema.items())]
        xml = rows.select(
            (
                pl.lit('<row r="')
                + pl.col("__row")
                + pl.lit('">')
                + pl.concat_str(cells, ignore_nulls=True)
                + pl.lit("</row>")
            ).alias("x")
        )
        body = "".join(xml["x"].to_list())
    last = f"{letters[-1] if letters else 'A'}{header_row + df.height}"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}"/><sheetData>' + "".join(head) + body + "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("xl/workbook.xml", _WORKBOOK),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
            ("xl/worksheets/sheet1.xml", sheet),
        ):
            z.writestr(_entry(name), text, compresslevel=1)


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed timestamp: the same seed gives the same bytes (and sha256)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info
