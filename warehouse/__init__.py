"""Ground floor of the project: settings, the one DuckDB connection, table fingerprints.

Every other package (ingest, quality, estimation, reports, orchestration) may import this one;
it imports none of them.
"""
