{#
  spark_register_raw (on-run-start): on Spark, the raw layer exported from DuckDB as Parquet
  (warehouse/spark_raw.py, one folder per table below SPARK_RAW_DIR) is registered as external
  tables of the sources' schemas and names, so the models' source() resolve to the same names
  on both engines. Re-registered on every invocation: a new export may have changed a table's
  columns, and dropping an external table leaves its files alone. On DuckDB it renders nothing.
  SPARK_RAW_TABLES (schema.table, comma-separated) lists what the export wrote.
#}

{% macro spark_register_raw() %}
    {{- return(adapter.dispatch('spark_register_raw')()) -}}
{% endmacro %}

{% macro default__spark_register_raw() %}{% endmacro %}

{% macro spark__spark_register_raw() %}
    {%- if execute -%}
        {%- set raw_dir = env_var('SPARK_RAW_DIR') -%}
        {%- set tables = env_var('SPARK_RAW_TABLES', '').split(',') | reject('equalto', '') | list -%}
        {%- for name in tables -%}
            {%- set schema, table = name.split('.') -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
            {%- do run_query('drop table if exists ' ~ schema ~ '.`' ~ table ~ '`') -%}
            {%- do run_query(
                'create table ' ~ schema ~ '.`' ~ table ~ '` using parquet location '
                ~ "'" ~ raw_dir ~ '/' ~ schema ~ '/' ~ table ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
