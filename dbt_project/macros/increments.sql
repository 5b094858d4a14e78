{#
  city_incremental: a table of city rows that a normal run recomputes only for the cities whose
  inputs changed since the model was last built, and rebuilds in full otherwise.

  The model must be per city: every row has `city`, and a city's rows depend only on that city's
  deliveries, quality-gate blocks and configuration (plus seeds and code). What a city's inputs
  are is `meta.city_input_digests` (ingest/schemas.py); what the model was built from is
  `meta.dbt_increments` (model, city, input_digest, code_hash). On a normal run the cities whose
  digest differs from the recorded one (new, changed or gone) are deleted from the table and the
  model's SQL, filtered to them, inserted again - DuckDB pushes the filter on `city` into the scans
  (through the window, join and group keys, all of which hold `city`).

  Full rebuild when: the table is missing (or is a view), `--full-refresh`, no build record, the
  digest view is missing, or the code changed. The code hash covers the model's compiled SQL and
  DBT_CODE_VERSION, a hash of the whole dbt project (orchestration/dbt_project.py): a change in an
  upstream model, a macro or a seed also changes the rows. Every build writes one row to
  `meta.dbt_increment_runs` (mode full | incremental | unchanged, the reason, the cities
  recomputed), which Dagster shows as metadata.
#}

{% macro city_increments_state_ddl() %}
    create schema if not exists meta;
    create table if not exists meta.dbt_increments (
        model varchar not null,
        city varchar not null,
        input_digest varchar,
        code_hash varchar,
        built_at timestamp,
        invocation_id varchar,
        primary key (model, city)
    );
    create table if not exists meta.dbt_increment_runs (
        invocation_id varchar,
        model varchar,
        mode varchar,
        reason varchar,
        cities varchar [],
        rows_inserted bigint,
        built_at timestamp
    );
    -- the city-periods a city_period_incremental model recomputed (macros/period_increments.sql)
    alter table meta.dbt_increment_runs add column if not exists periods varchar [];
{% endmacro %}

{% macro city_list(cities) -%}
    {%- if cities | length == 0 -%}(null){%- else -%}
    ({%- for c in cities -%}'{{ c | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
    {%- endif -%}
{%- endmacro %}

{#- Why a model is rebuilt in full (none: it may be built incrementally): the checks both
    incremental materialisations make, against their own build record `state_table`. -#}
{% macro increment_full_reason(existing, inputs, missing_inputs, state_table, model_name, code_hash) %}
    {%- if existing is none -%}{{ return('table missing') }}
    {%- elif not existing.is_table -%}{{ return('not a table') }}
    {%- elif should_full_refresh() -%}{{ return('full refresh') }}
    {%- elif inputs is none -%}{{ return(missing_inputs) }}
    {%- endif -%}
    {%- set recorded = run_query(
        "select distinct code_hash from " ~ state_table ~ " where model = '" ~ model_name ~ "'"
    ).columns[0].values() | list -%}
    {%- if recorded | length == 0 -%}{{ return('no build record') }}
    {%- elif recorded != [code_hash] -%}{{ return('code changed') }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}

{#- One row of meta.dbt_increment_runs: how the model was built, why, what it recomputed. -#}
{% macro log_increment_run(model_name, mode, reason, cities, periods, target_relation, row_filter) %}
    insert into meta.dbt_increment_runs (invocation_id, model, mode, reason, cities, periods, rows_inserted, built_at)
    select
        '{{ invocation_id }}', '{{ model_name }}', '{{ mode }}',
        {{ "'" ~ reason ~ "'" if reason is not none else 'null' }},
        {%- for values in [cities, periods] %}
        {%- if values | length > 0 %} [{%- for v in values -%}'{{ v }}'{{ ", " if not loop.last }}{%- endfor -%}]
        {%- else %} []::varchar []{%- endif %},
        {%- endfor %}
        {{ 'null' if mode == 'unchanged' else '(select count(*) from ' ~ target_relation ~ (' where ' ~ row_filter if mode == 'incremental' else '') ~ ')' }},
        now()::timestamp;
{% endmacro %}

{% materialization city_incremental, adapter='duckdb' %}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set model_name = this.schema ~ '.' ~ this.identifier -%}
    {%- set code_hash = local_md5(sql ~ '|' ~ env_var('DBT_CODE_VERSION', '')) -%}
    {%- set digests = adapter.get_relation(database=this.database, schema='meta', identifier='city_input_digests') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% call statement('increment_state') %}{{ city_increments_state_ddl() }}{% endcall %}

    {%- set reason = increment_full_reason(
        existing, digests, 'no city input digests', 'meta.dbt_increments', model_name, code_hash
    ) -%}

    {%- set digest_source = 'meta.city_input_digests' if digests is not none
        else '(select null::varchar as city, null::varchar as input_digest where false)' -%}

    {%- if reason is not none -%}
        {%- set mode = 'full' -%}
        {% call statement('main') -%}
            create or replace table {{ target_relation }} as (
                {{ sql }}
            );
        {%- endcall %}
        {%- set cities = [] -%}
        {% call statement('record') -%}
            delete from meta.dbt_increments where model = '{{ model_name }}';
            insert into meta.dbt_increments
            select '{{ model_name }}', city, input_digest, '{{ code_hash }}', now()::timestamp, '{{ invocation_id }}'
            from {{ digest_source }};
        {%- endcall %}
    {%- else -%}
        {%- set changed_sql -%}
            with now_in as (select city, input_digest from {{ digest_source }}),
            built as (
                select city, input_digest from meta.dbt_increments where model = '{{ model_name }}'
            )
            select city from (
                (select * from now_in except select * from built)
                union
                (select * from built except select * from now_in)
            )
            group by city order by city
        {%- endset -%}
        {%- set cities = run_query(changed_sql).columns[0].values() | list -%}
        {%- set mode = 'incremental' if cities | length > 0 else 'unchanged' -%}
        {% call statement('main') -%}
            {%- if cities | length > 0 %}
                delete from {{ target_relation }} where city in {{ city_list(cities) }};
                insert into {{ target_relation }} by name
                select * from (
                    {{ sql }}
                ) as increment
                where increment.city in {{ city_list(cities) }};
            {%- else %}
                select 1;
            {%- endif %}
        {%- endcall %}
        {% call statement('record') -%}
            delete from meta.dbt_increments
            where model = '{{ model_name }}' and city in {{ city_list(cities) }};
            insert into meta.dbt_increments
            select '{{ model_name }}', city, input_digest, '{{ code_hash }}', now()::timestamp, '{{ invocation_id }}'
            from {{ digest_source }}
            where city in {{ city_list(cities) }};
        {%- endcall %}
    {%- endif -%}

    {% call statement('log_run') -%}
        {{ log_increment_run(model_name, mode, reason, cities, [], target_relation, 'city in ' ~ city_list(cities)) }}
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#
  Spark: the city_incremental models are rebuilt in full on every run (drop, then create as
  select). A per-city delete+insert needs a table format that deletes (Delta, Iceberg) or an
  `insert overwrite` of a table partitioned by city; Spark's plain Parquet tables have neither
  delete nor a partition layout dbt-spark's table materialization would keep, and a full rebuild
  is the state the increments are proven equal to (tests/increments). The run is recorded in
  meta.dbt_increment_runs like on DuckDB (mode full, reason 'spark: full rebuild').
#}
{% macro spark_full_rebuild() %}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set model_name = this.schema ~ '.' ~ this.identifier -%}

    {{ run_hooks(pre_hooks) }}
    {%- if existing is not none -%}
        {{ adapter.drop_relation(existing) }}
    {%- endif -%}
    {% call statement('main') -%}
        {{ create_table_as(False, target_relation, sql) }}
    {%- endcall %}
    {%- do run_query('create database if not exists meta') -%}
    {%- do run_query(
        'create table if not exists meta.dbt_increment_runs (invocation_id string, model string, '
        ~ 'mode string, reason string, cities array<string>, rows_inserted bigint, built_at timestamp_ntz) using parquet'
    ) -%}
    {%- do run_query(
        "insert into meta.dbt_increment_runs select '" ~ invocation_id ~ "', '" ~ model_name ~ "', 'full', "
        ~ "'spark: full rebuild', cast(array() as array<string>), (select count(*) from " ~ target_relation ~ "), "
        ~ "cast(current_timestamp() as timestamp_ntz)"
    ) -%}
    {{ run_hooks(post_hooks) }}
    {% do persist_docs(target_relation, model) %}

    {{ return({'relations': [target_relation]}) }}
{% endmacro %}

{% materialization city_incremental, adapter='spark' %}
    {{ return(spark_full_rebuild()) }}
{% endmaterialization %}
