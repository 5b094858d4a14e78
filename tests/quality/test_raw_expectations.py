"""Every expectation of every raw suite fails on a delivery that violates it.

One broken row per expectation (each in its own row, so that one break cannot hide another),
one validation per table. The clean world (test_clean_world.py) shows the same checks pass,
so none of them fails always. A new expectation without a case here fails the coverage test.
"""

from __future__ import annotations

import pytest
from qworld import CITIES, gate_rows, sql

import quality
from quality.results import SOURCE_FORM_OF_TABLE
from quality.suites import load_suite, suite_names

DUP = "DUPLICATE"  # insert a copy of the row instead of updating it
NN = "{col} IS NOT NULL"

# "table.check": (SET clause or DUP, condition choosing the row)
VIOLATIONS: dict[str, tuple[str, str]] = {
    **{
        f"meldewesen.{c}_present": (f"{c} = NULL", "TRUE")
        for c in [
            "ereignis_id",
            "ereignis_datum",
            "meldedatum",
            "ereignis_art",
            "person_pseudonym",
            "geburtsjahr",
            "geschlecht",
            "staatsangehoerigkeit",
        ]
    },
    "meldewesen.ereignis_id_unique": (DUP, "TRUE"),
    "meldewesen.ereignis_art_in_vocabulary": ("ereignis_art = 'ZUZUG'", "TRUE"),
    "meldewesen.geschlecht_in_vocabulary": ("geschlecht = 'q'", "TRUE"),
    "meldewesen.staatsangehoerigkeit_in_vocabulary": ("staatsangehoerigkeit = '9999'", "TRUE"),
    "meldewesen.staatsangehoerigkeit_2_in_vocabulary": ("staatsangehoerigkeit_2 = 'XYZ'", "TRUE"),
    "meldewesen.person_pseudonym_is_32_hex": ("person_pseudonym = 'Erika Mustermann'", "TRUE"),
    "meldewesen.geburtsjahr_plausible": ("geburtsjahr = 1700", "TRUE"),
    "meldewesen.geburtsjahr_not_in_future": ("geburtsjahr = 2031", "TRUE"),
    "meldewesen.meldedatum_not_before_period": (
        "meldedatum = meldedatum - INTERVAL 40 DAY, ereignis_datum = meldedatum - INTERVAL 41 DAY",
        "TRUE",
    ),
    "meldewesen.meldedatum_not_after_period": ("meldedatum = meldedatum + INTERVAL 40 DAY", "TRUE"),
    "meldewesen.recorded_after_event": ("ereignis_datum = meldedatum + INTERVAL 2 DAY", "TRUE"),
    "meldewesen.bezirk_neu_valid_on_event_date": ("bezirk_neu = '99'", "bezirk_neu IS NOT NULL"),
    "meldewesen.bezirk_alt_valid_on_event_date": (
        "bezirk_alt = NULL",
        "ereignis_art IN ('FO_INLAND', 'FO_AUSLAND', 'AVA', 'TOD')",
    ),
    "meldewesen.herkunft_ziel_matches_event_type": ("herkunft_ziel = '05315000'", "ereignis_art = 'ZU_AUSLAND'"),
    **{
        f"bestand.{c}_present": (f"{c} = NULL", "TRUE")
        for c in ["stichtag", "person_pseudonym", "geburtsjahr", "geschlecht", "staatsangehoerigkeit", "bezirk"]
    },
    "bestand.person_once_per_stichtag": (DUP, "TRUE"),
    "bestand.stichtag_is_delivery_period": ("stichtag = stichtag - INTERVAL 1 DAY", "TRUE"),
    "bestand.geschlecht_in_vocabulary": ("geschlecht = 'M'", "TRUE"),
    "bestand.staatsangehoerigkeit_in_vocabulary": ("staatsangehoerigkeit = 'NLD'", "TRUE"),
    "bestand.staatsangehoerigkeit_2_in_vocabulary": ("staatsangehoerigkeit_2 = '1'", "TRUE"),
    "bestand.person_pseudonym_is_32_hex": ("person_pseudonym = 'R-123456'", "TRUE"),
    "bestand.geburtsjahr_plausible": ("geburtsjahr = 1850", "TRUE"),
    "bestand.geburtsjahr_not_in_future": ("geburtsjahr = 2099", "TRUE"),
    "bestand.bezirk_valid_on_stichtag": ("bezirk = '77'", "TRUE"),
    "bestand.zuzug_not_after_stichtag": ("zuzug_datum = stichtag + INTERVAL 3 DAY", "TRUE"),
    "bestand.einzug_not_after_stichtag": ("einzug_datum = stichtag + INTERVAL 3 DAY", "TRUE"),
    **{
        f"schule.{c}_present": (f"{c} = NULL", "TRUE")
        for c in ["stichtag", "schueler_pseudonym", "geburtsjahr", "schulform", "klassenart"]
    },
    "schule.pupil_once_per_stichtag": (DUP, "TRUE"),
    "schule.stichtag_not_after_period": ("stichtag = DATE '2023-10-20'", "TRUE"),
    "schule.stichtag_within_tolerance": ("stichtag = DATE '2023-09-01'", "city = 'wuppertal'"),
    "schule.schulform_in_vocabulary": ("schulform = 'PO'", "city = 'wuppertal'"),
    "schule.klassenart_in_vocabulary": ("klassenart = 'IFK'", "TRUE"),
    "schule.geschlecht_in_vocabulary": ("geschlecht = 'f'", "TRUE"),
    "schule.staatsangehoerigkeit_iso3_in_vocabulary": ("staatsangehoerigkeit_iso3 = 'DE'", "TRUE"),
    "schule.schueler_pseudonym_is_32_hex": ("schueler_pseudonym = 'Schüler 7b'", "TRUE"),
    "schule.geburtsjahr_plausible": ("geburtsjahr = 1800", "TRUE"),
    "schule.geburtsjahr_not_in_future": ("geburtsjahr = 2024", "TRUE"),
    "schule.pupil_age_plausible": ("geburtsjahr = 1960", "TRUE"),
    **{
        f"sgb2_aggregat.{c}_present": (f"{c} = NULL", "TRUE")
        for c in ["monat", "bezirk", "staatsangehoerigkeit_gruppe"]
    },
    "sgb2_aggregat.one_row_per_month_district_group": (DUP, "TRUE"),
    "sgb2_aggregat.monat_is_delivery_period": ("monat = monat + INTERVAL 14 DAY", "TRUE"),
    "sgb2_aggregat.staatsangehoerigkeit_gruppe_in_vocabulary": ("staatsangehoerigkeit_gruppe = 'ALLE'", "TRUE"),
    "sgb2_aggregat.bezirk_valid_in_month": ("bezirk = '42'", "TRUE"),
    "sgb2_aggregat.suppressed_cells_are_null": ("bg = 0, bg_gesperrt = TRUE", "TRUE"),
    "sgb2_aggregat.bg_not_negative": ("bg = -3", "TRUE"),
    "sgb2_aggregat.elb_not_negative": ("elb = -3", "TRUE"),
    "sgb2_aggregat.nef_not_negative": ("nef = -3, nef_gesperrt = FALSE", "TRUE"),
    "sgb2_aggregat.personen_in_bg_not_negative": ("personen_in_bg = -3", "TRUE"),
    "sgb2_aggregat.bg_small_counts_suppressed": ("bg = 1", "TRUE"),
    "sgb2_aggregat.elb_small_counts_suppressed": ("elb = 2", "TRUE"),
    "sgb2_aggregat.nef_small_counts_suppressed": ("nef = 2, nef_gesperrt = FALSE", "TRUE"),
    "sgb2_aggregat.personen_in_bg_small_counts_suppressed": ("personen_in_bg = 1", "TRUE"),
    "sgb2_aggregat.persons_at_least_elb": ("elb = 9, personen_in_bg = 5", "TRUE"),
    **{
        f"sgb2_personen.{c}_present": (f"{c} = NULL", "TRUE")
        for c in ["monat", "person_pseudonym", "bg_pseudonym", "erwerbsfaehig"]
    },
    "sgb2_personen.person_once_per_month": (DUP, "TRUE"),
    "sgb2_personen.monat_is_delivery_period": ("monat = monat + INTERVAL 1 MONTH", "TRUE"),
    "sgb2_personen.erwerbsfaehig_in_vocabulary": ("erwerbsfaehig = 'ja'", "TRUE"),
    "sgb2_personen.geschlecht_in_vocabulary": ("geschlecht = 'W'", "TRUE"),
    "sgb2_personen.staatsangehoerigkeit_in_vocabulary": ("staatsangehoerigkeit = 'SYR'", "TRUE"),
    "sgb2_personen.person_pseudonym_is_32_hex": ("person_pseudonym = 'BG-4711-01'", "TRUE"),
    "sgb2_personen.bg_pseudonym_is_32_hex": ("bg_pseudonym = 'BG-4711'", "TRUE"),
    "sgb2_personen.geburtsjahr_plausible": ("geburtsjahr = 1066", "TRUE"),
    "sgb2_personen.geburtsjahr_not_in_future": ("geburtsjahr = 2050", "TRUE"),
    "sgb2_personen.bezirk_valid_in_month": ("bezirk = 'Nord'", "TRUE"),
    **{
        f"beratung.{c}_present": (f"{c} = NULL", "TRUE")
        for c in ["kontakt_datum", "person_pseudonym", "stelle", "gemeldet_angabe"]
    },
    "beratung.kontakt_not_before_period": ("kontakt_datum = kontakt_datum - INTERVAL 45 DAY", "TRUE"),
    "beratung.kontakt_not_after_period": ("kontakt_datum = kontakt_datum + INTERVAL 45 DAY", "TRUE"),
    "beratung.stelle_in_vocabulary": ("stelle = 'SOZIALAMT'", "TRUE"),
    "beratung.gemeldet_angabe_in_vocabulary": ("gemeldet_angabe = 'J'", "TRUE"),
    "beratung.geschlecht_in_vocabulary": ("geschlecht = '2'", "TRUE"),
    "beratung.staatsangehoerigkeit_in_vocabulary": ("staatsangehoerigkeit = 'ROU'", "TRUE"),
    "beratung.person_pseudonym_is_32_hex": ("person_pseudonym = 'Klient 12'", "TRUE"),
    "beratung.geburtsjahr_plausible": ("geburtsjahr = 1200", "TRUE"),
    "beratung.geburtsjahr_not_in_future": ("geburtsjahr = 2040", "TRUE"),
    **{
        f"wohnen_problemimmobilien.{c}_present": (f"{c} = NULL", "TRUE")
        for c in ["stichtag", "objekt_id", "status", "wohneinheiten"]
    },
    "wohnen_problemimmobilien.object_once_per_stichtag": (DUP, "TRUE"),
    "wohnen_problemimmobilien.stichtag_is_delivery_period": ("stichtag = stichtag + INTERVAL 1 DAY", "TRUE"),
    "wohnen_problemimmobilien.status_in_vocabulary": ("status = 'ABGERISSEN'", "TRUE"),
    "wohnen_problemimmobilien.bezirk_valid_on_stichtag": ("bezirk = 'X1'", "TRUE"),
    **{
        f"wohnen_problemimmobilien.{c}_not_negative": (f"{c} = -1", "TRUE")
        for c in [
            "wohneinheiten",
            "leerstand_we",
            "gemeldet_laut_register",
            "angetroffen_gemeldet",
            "angetroffen_nicht_gemeldet",
        ]
    },
    "wohnen_problemimmobilien.vacant_not_above_dwellings": ("leerstand_we = wohneinheiten + 1", "TRUE"),
    "wohnen_problemimmobilien.found_registered_not_above_registered": (
        "angetroffen_gemeldet = gemeldet_laut_register + 5",
        "TRUE",
    ),
    "wohnen_problemimmobilien.inspection_not_after_stichtag": ("letzte_kontrolle = stichtag + INTERVAL 10 DAY", "TRUE"),
    **{f"wohnen_wohnungsbestand.{c}_present": (f"{c} = NULL", "TRUE") for c in ["stichtag", "bezirk", "wohneinheiten"]},
    "wohnen_wohnungsbestand.district_once_per_stichtag": (DUP, "TRUE"),
    "wohnen_wohnungsbestand.stichtag_is_delivery_period": ("stichtag = stichtag - INTERVAL 2 DAY", "TRUE"),
    "wohnen_wohnungsbestand.bezirk_valid_on_stichtag": ("bezirk = '99'", "TRUE"),
    **{
        f"wohnen_wohnungsbestand.{c}_not_negative": (f"{c} = -5", "TRUE")
        for c in ["wohneinheiten", "leerstand_we", "gefoerderte_we"]
    },
    "wohnen_wohnungsbestand.vacant_not_above_dwellings": ("leerstand_we = wohneinheiten + 1", "TRUE"),
    "wohnen_wohnungsbestand.subsidised_not_above_dwellings": ("gefoerderte_we = wohneinheiten * 2", "TRUE"),
    **{f"gebiete.{c}_present": (f"{c} = NULL", "TRUE") for c in ["bezirk_code", "bezirk_name", "ebene", "gueltig_ab"]},
    "gebiete.code_once_per_validity_start": (DUP, "TRUE"),
    "gebiete.ebene_in_vocabulary": ("ebene = 'quartier'", "TRUE"),
    "gebiete.validity_not_reversed": ("gueltig_bis = gueltig_ab - INTERVAL 1 DAY", "TRUE"),
    "gebiete.flaeche_positive": ("flaeche_ha = 0", "TRUE"),
}
TABLES = sorted(SOURCE_FORM_OF_TABLE)


def _all_checks() -> set[str]:
    return {
        f"{n.removeprefix('raw_')}.{c}"
        for n in suite_names("raw_")
        if n != "raw_profile"
        for c in load_suite(n).check_names()
    }


def test_every_raw_expectation_has_a_violating_case():
    table_level = {f"{t}.columns_match_contract" for t in TABLES}  # see test_extra_column_*
    assert _all_checks() - table_level == set(VIOLATIONS)


def _break_rows(path, table: str) -> dict[str, tuple[str, str]]:
    """Apply this table's violations, each to a row of its own; returns check -> (city, period)."""
    used: set[tuple] = set()
    where_broken = {}
    for key, (change, cond) in VIOLATIONS.items():
        t, check = key.split(".", 1)
        if t != table:
            continue
        candidates = sql(
            path,
            f"SELECT city, delivery_period, source_line FROM raw.{table} WHERE {cond} "
            "ORDER BY city DESC, delivery_period DESC, source_line",
        )
        city, period, line = next(c for c in candidates if c not in used)
        used.add((city, period, line))
        row = "city = ? AND delivery_period = ? AND source_line = ?"
        if change == DUP:
            sql(path, f"INSERT INTO raw.{table} SELECT * FROM raw.{table} WHERE {row}", [city, period, line])
        else:
            sql(path, f"UPDATE raw.{table} SET {change} WHERE {row}", [city, period, line])
        where_broken[check] = (city, period)
    return where_broken


@pytest.mark.parametrize("table", TABLES)
def test_each_violation_fails_its_check_and_blocks_only_its_period(warehouse, table):
    broken = _break_rows(warehouse, table)
    results = quality.run_raw_checks(warehouse, cities=list(CITIES), kinds=("suites",), tables=[table])
    by_key = {(r.check_name, r.city, r.period): r for r in results}
    for check, (city, period) in broken.items():
        r = by_key[(f"raw.{table}.{check}", city, period)]
        assert r.outcome == "failed", (check, r)
        assert r.failed_rows >= 1
        for example in r.examples:  # pseudonyms never shown
            assert all(v == "<masked>" for k, v in example.items() if "pseudonym" in k)
    source, form = SOURCE_FORM_OF_TABLE[table]
    gate = gate_rows(warehouse)
    error_checks = {c for c in broken if by_key[(f"raw.{table}.{c}", *broken[c])].severity == "error"}
    expected = {(broken[c][0], source, form, broken[c][1]) for c in error_checks}
    assert {g[:4] for g in gate} == expected
    # Periods and cities without a broken row stay open.
    untouched = {(r.city, r.period) for r in results} - {v for v in broken.values()}
    assert untouched, "the test world should leave some periods intact"
    assert all(r.outcome == "passed" for r in results if (r.city, r.period) in untouched)


def test_extra_column_fails_the_contract_check_for_every_table(warehouse):
    for table in TABLES:
        sql(warehouse, f"ALTER TABLE raw.{table} ADD COLUMN klarname VARCHAR")
    results = quality.run_raw_checks(warehouse, cities=list(CITIES), kinds=("suites",))
    contract = [r for r in results if r.check_name.endswith(".columns_match_contract")]
    assert {r.asset for r in contract} == set(TABLES)
    assert all(r.outcome == "failed" and r.severity == "error" for r in contract)
