{#
  The build record (meta.dbt_builds): a `dbt build` / `dbt run` writes a row with status
  'running' before the first model and sets it to 'complete' or 'failed' at the end. A build
  that was killed stays 'running'. `orchestration.publish` refuses to publish unless the latest
  build completed and was built from the deliveries loaded now (`data_version`, the same hash
  as publication.about.data_version), so stale marts are never published as new.
#}

{% macro build_state_loaded(expression) %}
    {%- set registry = adapter.get_relation(database=target.database, schema='meta', identifier='delivery_registry') -%}
    {%- if registry is none -%}
        null
    {%- else -%}
        (select {{ expression }} from meta.delivery_registry where status = 'loaded')
    {%- endif -%}
{% endmacro %}

{% macro build_state_start() %}
    {{- return(adapter.dispatch('build_state_start')()) -}}
{% endmacro %}

{% macro build_state_end(results) %}
    {{- return(adapter.dispatch('build_state_end')(results)) -}}
{% endmacro %}

{% macro default__build_state_start() %}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- set files = "string_agg(delivery_file || file_sha256, '' order by delivery_file)" -%}
        {%- set version = "sha256(coalesce(" ~ files ~ ", ''))" -%}
        create schema if not exists meta;
        create table if not exists meta.dbt_builds (
            invocation_id varchar primary key,
            command varchar,
            started_at timestamp,
            finished_at timestamp,
            status varchar,
            data_version varchar,
            loaded_files bigint
        );
        insert into meta.dbt_builds
        select
            '{{ invocation_id }}' as invocation_id,
            '{{ flags.WHICH }}' as command,
            now()::timestamp as started_at,
            null as finished_at,
            'running' as status,
            {{ build_state_loaded(version) }} as data_version,
            {{ build_state_loaded('count(*)') }} as loaded_files;
        commit;  -- the start hook runs in a transaction that dbt rolls back after it (the end hook does not)
    {%- endif -%}
{% endmacro %}

{% macro default__build_state_end(results) %}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
        update meta.dbt_builds
        set finished_at = now()::timestamp, status = '{{ "failed" if failed else "complete" }}'
        where invocation_id = '{{ invocation_id }}';
    {%- endif -%}
{% endmacro %}

{#
  Spark: the same record in a Parquet table, which cannot be updated, so the end hook appends
  the invocation's final row (finished_at set): the latest row of an invocation is its state.
  The data version is the same hash (sha2 over the files in delivery_file order). One statement
  per run_query (the session cursor runs one statement at a time); the hook itself renders nothing.
#}
{% macro spark__build_state_loaded(expression) %}
    {%- set registry = adapter.get_relation(database=none, schema='meta', identifier='delivery_registry') -%}
    {%- if registry is none -%}
        cast(null as string)
    {%- else -%}
        (select {{ expression }} from meta.delivery_registry where status = 'loaded')
    {%- endif -%}
{% endmacro %}

{% macro spark__build_state_ddl() %}
    {%- do run_query('create database if not exists meta') -%}
    {%- do run_query(
        'create table if not exists meta.dbt_builds (invocation_id string, command string, '
        ~ 'started_at timestamp_ntz, finished_at timestamp_ntz, status string, data_version string, '
        ~ 'loaded_files bigint) using parquet'
    ) -%}
{% endmacro %}

{% macro spark__build_state_start() %}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- set files = "concat_ws('', transform(array_sort(collect_list(struct(delivery_file, file_sha256))), "
            ~ "f -> concat(f.delivery_file, f.file_sha256)))" -%}
        {%- set version = "sha2(coalesce(" ~ files ~ ", ''), 256)" -%}
        {%- do spark__build_state_ddl() -%}
        {%- do run_query(
            "insert into meta.dbt_builds select '" ~ invocation_id ~ "', '" ~ flags.WHICH ~ "', "
            ~ "cast(current_timestamp() as timestamp_ntz), cast(null as timestamp_ntz), 'running', "
            ~ spark__build_state_loaded(version) ~ ", cast(" ~ spark__build_state_loaded('count(*)') ~ " as bigint)"
        ) -%}
    {%- endif -%}
{% endmacro %}

{% macro spark__build_state_end(results) %}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
        {%- do spark__build_state_ddl() -%}
        {%- do run_query(
            "insert into meta.dbt_builds select invocation_id, command, started_at, "
            ~ "cast(current_timestamp() as timestamp_ntz), '" ~ ("failed" if failed else "complete") ~ "', "
            ~ "data_version, loaded_files from meta.dbt_builds "
            ~ "where invocation_id = '" ~ invocation_id ~ "' and finished_at is null"
        ) -%}
    {%- endif -%}
{% endmacro %}
