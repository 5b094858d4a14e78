"""Estimates of unregistered residents and of registered people who have left, per city x
nationality group x age band on one reference date, by every method (see estimation/METHODS.md).

Reads person-level staging (city layer) inside the warehouse and writes aggregates only.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from estimation.warehouse import estimate_all

    # dbt reads refs literally (to build the graph); each gives a DuckDB relation whose SQL
    # text serves as a subquery in estimation's SQL.
    refs = {
        "bestand": dbt.ref("stg_bestand__persons"),
        "schule": dbt.ref("stg_schule__pupils"),
        "sgb2": dbt.ref("stg_sgb2__persons"),
        "beratung": dbt.ref("stg_beratung__contacts"),
        "meldewesen": dbt.ref("stg_meldewesen__events"),
        "problem_properties": dbt.ref("stg_wohnen__problem_properties"),
    }
    relations = {key: "(" + rel.sql_query() + ")" for key, rel in refs.items()}
    return estimate_all(session, relations).to_arrow()
