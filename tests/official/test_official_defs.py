import dagster as dg

from orchestration.definitions import defs
from orchestration.defs.official import raw_official_tables


def test_definitions_load_and_expose_the_raw_official_keys():
    keys = {k.to_user_string() for k in raw_official_tables.keys}
    assert keys == {"raw_official/values", "raw_official/notes", "raw_official/files"}
    assert defs.resolve_job_def("load_official_tables") is not None


def test_asset_loads_into_the_warehouse_of_its_resource(tmp_path):
    from orchestration.resources import WarehouseResource
    from warehouse.settings import official_source_dir

    landing = tmp_path / "landing" / "official" / "cbs"
    landing.mkdir(parents=True)
    src = official_source_dir() / "cbs" / "37259eng_2012-2023_NL01_PV23_GM0153.csv"
    (landing / src.name).write_bytes(src.read_bytes())
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), landing_dir=str(tmp_path / "landing"))
    result = dg.materialize([raw_official_tables], resources={"warehouse": resource})
    assert result.success
    assert (tmp_path / "w.duckdb").exists() and not (tmp_path / "warehouse.duckdb").exists()
    mats = result.asset_materializations_for_node("raw_official_tables")
    assert mats[0].metadata["files_loaded"].value == 1
