"""Exchange packages end to end on the small real demo warehouse: export Münster's packages,
import them into a fresh hub that computes nothing itself, build the hub and alliance models
there with dbt, and get the same alliance tables as the city's own warehouse built locally."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_project import run_dbt
from orchestration.exchange import TABLES, export_package, import_package

pytestmark = pytest.mark.slow
CITY = "muenster"
# 2026-Q3: the latest quarter (carries the snapshots: retention curves, register vs official);
# 2025-Q3: the quarter of the Dunkelziffer reference date.
QUARTERS = ("2025-Q3", "2026-Q3")
# alliance table -> (columns compared, rows of the exported city and quarters)
IN_SCOPE = f"city = '{CITY}' and period in {QUARTERS}"
COMPARED = {
    "fct_intercity_indicators": ("* exclude (package_origin, rank_among_cities, n_cities_ranked)", IN_SCOPE),
    "fct_district_indicators": ("*", IN_SCOPE),
    "fct_dunkelziffer_estimates": ("*", IN_SCOPE),
    "fct_retention_curves": ("*", f"city = '{CITY}'"),
    "fct_register_vs_official": ("*", f"city = '{CITY}'"),
}


def _dbt_build_hub(warehouse: Path, work: Path) -> None:
    # the hub builds only its own models (no pipeline: it has no deliveries)
    run_dbt(
        ["build", "--select", "fct_exchange_hub_*", "path:models/alliance"],
        warehouse=warehouse,
        target_path=work / "target",
        log=lambda _line: None,
    )


def _empty_hub(path: Path, city_warehouse: Path) -> Path:
    """A hub that computes nothing: the local exchange tables exist but are empty, the seeds are there."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"attach '{city_warehouse}' as city (read_only)")
        con.execute("create schema exchange; create schema reference")
        # the local tables the hub models read: the package tables, the package list and the
        # district boundaries (not yet in packages: empty in a hub that computes nothing)
        local = ["exchange.fct_exchange_packages", "exchange.fct_exchange_district_geometry"]
        for table in [t.relation for t in TABLES] + local:
            con.execute(f"create table {table} as select * from city.{table} limit 0")
        con.execute("create table reference.indicator_catalogue as select * from city.reference.indicator_catalogue")
    return path


@pytest.fixture(scope="module")
def hub(published_demo, tmp_path_factory) -> tuple[Path, Path]:
    city_warehouse = published_demo[0]
    work = tmp_path_factory.mktemp("exchange_round_trip")
    hub = _empty_hub(work / "hub.duckdb", city_warehouse)
    for quarter in QUARTERS:
        package = export_package(CITY, quarter, work / "packages", city_warehouse)
        assert import_package(package, hub)["status"] == "imported"
    _dbt_build_hub(hub, work)
    return city_warehouse, hub


@pytest.mark.parametrize("table", COMPARED)
def test_alliance_table_from_packages_equals_local(hub, table):
    city_warehouse, hub_warehouse = hub
    columns, scope = COMPARED[table]
    with duckdb.connect(str(hub_warehouse), read_only=True) as con:
        con.execute(f"attach '{city_warehouse}' as city (read_only)")
        imported = f"select {columns} from alliance.{table} where {scope}"
        local = f"select {columns} from city.alliance.{table} where {scope}"
        n_imported, n_local = (con.execute(f"select count(*) from ({q})").fetchone()[0] for q in (imported, local))
        only_imported = con.execute(f"select count(*) from ({imported} except all {local})").fetchone()[0]
        only_local = con.execute(f"select count(*) from ({local} except all {imported})").fetchone()[0]
    assert n_local > 0  # a comparison of nothing would pass as well
    assert (n_imported, only_imported, only_local) == (n_local, 0, 0)


def test_hub_rows_come_from_packages_only(hub):
    with duckdb.connect(str(hub[1]), read_only=True) as con:
        origins = con.execute("select distinct package_origin from alliance.fct_intercity_indicators").fetchall()
        hub_origins = {
            r[0]
            for t in ("district_cells", "retention_curves", "dunkelziffer_estimates", "register_vs_official")
            for r in con.execute(f"select distinct package_origin from exchange.fct_exchange_hub_{t}").fetchall()
        }
        cities = con.execute("select distinct city from alliance.fct_district_indicators").fetchall()
    assert origins == [("imported",)] and hub_origins == {"imported"} and cities == [(CITY,)]
