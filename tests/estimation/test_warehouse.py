import duckdb
import polars as pl
from synthetic_staging import T, build

from estimation.warehouse import estimate_all


def test_estimates_from_staging_tables(tmp_path):
    db = tmp_path / "w.duckdb"
    truth = build(db)
    con = duckdb.connect(str(db), read_only=True)
    est = estimate_all(con)
    con.close()
    assert set(est["city"]) == {"c"} and set(est["stichtag"]) == {T}
    gone = {
        (r["nationality_group"], r["age_band"]): r
        for r in est.filter(quantity="registered_gone", method="lag_projection").iter_rows(named=True)
    }
    # every gone person has a pending AVA recorded after T: the lag method sees them all
    for key, t in truth.items():
        assert gone[key]["point"] == t["registered_gone"], key
    kids = est.filter(nationality_group="EU2", age_band="06-14", quantity="unregistered")
    by = {r["method"]: r for r in kids.iter_rows(named=True)}
    want = truth[("EU2", "06-14")]["unregistered"]
    assert {"dse_register_school", "mse_loglinear", "ratio_school"} <= set(by)
    mse = by["mse_loglinear"]
    assert mse["lower"] <= want <= mse["upper"]
    # the school link sees the gone children; every band gets the children's gone share
    sg = est.filter(method="school_gone_share", nationality_group="EU2")
    assert sg.height == len([k for k in truth if k[0] == "EU2"])
    assert est.filter(recommended=True, quantity="residents").height > 0
    # every recommended stratum decomposes: residents = registered - gone + unregistered
    from estimation.validate import consistency

    c = consistency(est)
    assert c["strata"] > 0 and c["complete"] == c["strata"] and c["max_abs_deviation"] < 1e-9
    assert {"components_school", "school_gone_dwell"} <= set(est["method"])
    # district strata (all ages) beside the city-wide ones
    districts = est.filter(pl.col("district") != "INSGESAMT")
    assert set(districts["district"]) == {"01", "02"} and set(districts["age_band"]) == {"INSGESAMT"}
    # no person-level column in the output
    assert not {"pid", "person_pseudonym", "adresse_pseudonym"} & set(est.columns)
