"""Property-based faults of the text dialects (hypothesis): whatever bytes a good delivery is
turned into, reading and checking it ends in a verdict - a checked frame or `DeliveryError` /
`PendingDelivery` - and never in another exception (each would be a crash the loader's guard
has to catch; here the pure reader chain is held to the stricter rule)."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_helpers import EXAMPLES  # noqa: E402

from ingest.config import load_cities  # noqa: E402
from ingest.content_rules import check_content, check_text_fields  # noqa: E402
from ingest.dialects import read_delivery  # noqa: E402
from ingest.errors import DeliveryError, PendingDelivery  # noqa: E402
from ingest.layout import parse_delivery_path  # noqa: E402
from ingest.limits import limits_for  # noqa: E402
from ingest.normalise import to_canonical  # noqa: E402
from ingest.validate import Context, validate  # noqa: E402

FILES = {
    "standard": "wuppertal/meldewesen/2024-10.csv",
    "ewo-legacy": "dortmund/meldewesen/2024-10.csv",
    "brp-export": "enschede/meldewesen/2024-10.csv",
}
CITIES = load_cities()
GEBIETE = {  # every code of the example gebiete, valid throughout
    city: pl.DataFrame(
        {"bezirk_code": codes, "gueltig_ab": [None] * len(codes), "gueltig_bis": [None] * len(codes)},
        schema={"bezirk_code": pl.String, "gueltig_ab": pl.Date, "gueltig_bis": pl.Date},
    )
    for city, codes in {
        "wuppertal": [f"{i:02d}" for i in range(1, 11)],
        "dortmund": [f"{i:02d}" for i in range(1, 13)],
        "enschede": [f"WK0153{i:02d}" for i in range(1, 11)],
    }.items()
}


def verdict(rel: str, data: bytes) -> str:
    name = parse_delivery_path(rel, CITIES)
    city = CITIES[name.city]
    try:
        text = read_delivery(data, name, city)
        check_text_fields(text, limits_for(name.city, name.table))
        frame = to_canonical(text, name.table)
        ctx = Context(name, city, GEBIETE[name.city])
        validate(frame, ctx)
        check_content(frame, ctx)
    except (DeliveryError, PendingDelivery):
        return "rejected"
    return "accepted"


def mutate(data: bytes, ops: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, pos, chunk in ops:
        pos = pos % (len(out) + 1)
        if kind == 0:  # insert
            out[pos:pos] = chunk
        elif kind == 1:  # delete
            del out[pos : pos + len(chunk) + 1]
        elif kind == 2:  # overwrite
            out[pos : pos + len(chunk)] = chunk
        else:  # cut off
            del out[pos:]
    return bytes(out)


NASTY = st.sampled_from(
    [b"\x00", b'"', b";", b",", b"\n", b"\r\n", b"\xff", b"\xef\xbb\xbf", b"=1+2", b"\t", b" ", b"\xc3"]
)
OPS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.one_of(NASTY, st.binary(min_size=1, max_size=8))),
    min_size=1,
    max_size=4,
)


@pytest.mark.parametrize("dialect", sorted(FILES))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_any_mangled_text_delivery_gets_a_verdict(dialect, ops):
    rel = FILES[dialect]
    good = (EXAMPLES / rel).read_bytes()
    assert verdict(rel, good) == "accepted"
    verdict(rel, mutate(good, ops))  # raises (fails the property) on anything but a verdict
