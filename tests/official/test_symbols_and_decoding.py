import pytest

from ingest.official.decoding import EncodingError, decode
from ingest.official.records import ParseError, normalise_region
from ingest.official.symbols import ValueError_, parse_cell


@pytest.mark.parametrize(
    "raw, value, symbol, reason, flag",
    [
        ("586181", 586181.0, None, None, None),
        ("-", 0.0, "-", None, None),
        (".", None, ".", "unknown_or_secret", None),
        ("...", None, "...", "later", None),
        ("/", None, "/", "not_reliable", None),
        ("x", None, "x", "blocked", None),
        ("12,5", 12.5, None, None, None),
        ("1234p", 1234.0, "1234p", None, "p"),
        ("17 r", 17.0, "17 r", None, "r"),
        ("(25)", 25.0, "(25)", None, "()"),
        ("", None, None, "empty", None),
    ],
)
def test_cells(raw, value, symbol, reason, flag):
    cell = parse_cell(raw)
    assert (cell.value, cell.symbol, cell.missing_reason, cell.quality_flag) == (value, symbol, reason, flag)


@pytest.mark.parametrize("raw", ["abc", "1.234.567", "12;3", "--"])
def test_unknown_cells_fail_loudly(raw):
    with pytest.raises(ValueError_):
        parse_cell(raw)


def test_cbs_numbers_use_a_decimal_point():
    assert parse_cell("10.5", decimal_comma=False).value == 10.5
    with pytest.raises(ValueError_):
        parse_cell("10,5", decimal_comma=False)


def test_decode_detects_and_records_the_encoding():
    text = "Bevölkerung;Zuzüge"
    assert decode(text.encode("utf-8")) == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode(text.encode("cp1252")) == (text, "cp1252")


def test_decode_refuses_bytes_undefined_in_cp1252():
    with pytest.raises(EncodingError):
        decode(b"abc \x81\x8d not text")


@pytest.mark.parametrize(
    "code, norm, level",
    [
        ("DG", "DG", "country"),
        ("05", "05", "land"),
        ("05913", "05913", "kreis"),
        ("059130000000", "05913000", "gemeinde"),
        ("GM0153    ", "GM0153", "gemeinde"),
        ("NL01  ", "NL01", "country"),
        ("PV23  ", "PV23", "province"),
        ("05334002", "05334002", "gemeinde"),
    ],
)
def test_region_codes_are_normalised(code, norm, level):
    assert normalise_region(code) == (norm, level)


def test_unknown_region_code_is_a_parse_error():
    with pytest.raises(ParseError):
        normalise_region("Dortmund")
