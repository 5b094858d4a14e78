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

{% macro build_state_end(results) %}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
        update meta.dbt_builds
        set finished_at = now()::timestamp, status = '{{ "failed" if failed else "complete" }}'
        where invocation_id = '{{ invocation_id }}';
    {%- endif -%}
{% endmacro %}
