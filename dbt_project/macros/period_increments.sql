{#
  city_period_incremental: a table of city-period rows that a normal run recomputes only for the
  (city, period) whose deliveries changed since the model was last built - the stock-driven
  models, whose cost otherwise grows with every quarter of history a city has delivered.

  The model declares its grain:
    period_column  a DATE column of the model (e.g. stichtag);
    period_tables  the raw tables (dbt sources `raw.*`) whose deliveries are per period, with the
                   delivery period an ISO date equal to the rows' period_column;
    period_reach_days (default 0) how far a period's rows reach: rows at P read the period
                   tables' deliveries with periods within that many days of P (fct_schools links
                   a census day to the nearest stock, at most 92 days away).
  Every other input the model reads (through its parents, found in dbt's graph) counts for the
  whole city: a changed `gebiete`, a city's configuration or a quality-gate block of such a table
  recomputes the city, as city_incremental does. An input the materialisation cannot attribute
  (a source other than raw.*, meta.cities, meta.quality_gate) is a compile error, never a guess.

  What a city-period's inputs are: `meta.city_input_parts` (ingest/schemas.py), the same parts
  meta.city_input_digests hashes per city. What the model was built from: meta.dbt_period_increments
  (model, city, period_key - an ISO date, or '*' for the city-level inputs - input_digest, code_hash).
  A normal run deletes the rows of the changed city-periods (and of whole changed cities) and
  inserts the model's SQL filtered to them; DuckDB pushes `city = ... and <period_column> in (...)`
  into the scans. Full rebuild when: the table is missing, `--full-refresh`, no build record, the
  parts view is missing, or the code changed (compiled SQL and DBT_CODE_VERSION). Every build writes
  a row to meta.dbt_increment_runs, with the recomputed periods.
#}

{% macro period_increments_state_ddl() %}
    {{ city_increments_state_ddl() }}
    create table if not exists meta.dbt_period_increments (
        model varchar not null,
        city varchar not null,
        period_key varchar not null,
        input_digest varchar,
        code_hash varchar,
        built_at timestamp,
        invocation_id varchar,
        primary key (model, city, period_key)
    );
{% endmacro %}

{#- The raw tables a model reads, through all its parents (dbt's graph); other sources are checked. -#}
{% macro period_model_raw_tables(node) %}
    {%- set seen = [] -%}
    {%- set queue = [node.unique_id] -%}
    {%- set raw = [] -%}
    {%- for uid in queue -%}
        {%- if uid.startswith('source.') -%}
            {%- set src = graph.sources[uid] -%}
            {%- if src.source_name == 'raw' -%}
                {%- if src.name not in raw %}{% do raw.append(src.name) %}{% endif -%}
            {%- elif src.source_name == 'meta' and src.name in ('cities', 'quality_gate') -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(
                    "city_period_incremental " ~ node.name ~ " reads " ~ src.source_name ~ "." ~ src.name
                    ~ ", an input it cannot attribute to a city-period") }}
            {%- endif -%}
        {%- elif uid.startswith('model.') or uid == node.unique_id -%}
            {%- for parent in graph.nodes[uid].depends_on.nodes -%}
                {%- if parent not in seen %}{% do seen.append(parent) %}{% do queue.append(parent) %}{% endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(raw | sort) }}
{% endmacro %}

{#- Digest per (city, period_key) of what the model reads: period tables by delivery period, the rest '*'. -#}
{% macro period_input_digests_sql(read_tables, period_tables) %}
    {%- set city_tables = read_tables | reject('in', period_tables) | list -%}
    with parts as (
        select
            city,
            case when raw_table in {{ city_list(period_tables) }} and try_cast(period as date) is not null
                then period else '*' end as period_key,
            part
        from meta.city_input_parts
        where raw_table is null
            or raw_table in {{ city_list(period_tables) }}
            or raw_table in {{ city_list(city_tables) }}
    )
    select city, period_key, sha256(string_agg(distinct part, chr(10) order by part)) as input_digest
    from parts
    group by city, period_key
{% endmacro %}

{% materialization city_period_incremental, adapter='duckdb' %}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set model_name = this.schema ~ '.' ~ this.identifier -%}
    {%- set code_hash = local_md5(sql ~ '|' ~ env_var('DBT_CODE_VERSION', '')) -%}
    {%- set period_column = config.require('period_column') -%}
    {%- set period_tables = config.require('period_tables') -%}
    {%- set reach = config.get('period_reach_days', 0) | int -%}
    {%- set read_tables = period_model_raw_tables(model) -%}
    {%- for t in period_tables if t not in read_tables -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": period table " ~ t ~ " is not read by the model") }}
    {%- endfor -%}
    {%- set parts = adapter.get_relation(database=this.database, schema='meta', identifier='city_input_parts') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% call statement('increment_state') %}{{ period_increments_state_ddl() }}{% endcall %}

    {%- set reason = increment_full_reason(
        existing, parts, 'no city input parts', 'meta.dbt_period_increments', model_name, code_hash
    ) -%}

    {%- set cities = [] -%}
    {%- set periods = [] -%}
    {%- if reason is not none -%}
        {%- set mode = 'full' -%}
        {% call statement('main') -%}
            create or replace table {{ target_relation }} as (
                {{ sql }}
            );
        {%- endcall %}
        {%- set record_filter = 'true' -%}
        {%- set row_filter = 'true' -%}
    {%- else -%}
        {%- set changed_sql -%}
            with now_in as ({{ period_input_digests_sql(read_tables, period_tables) }}),
            built as (
                select city, period_key, input_digest from meta.dbt_period_increments
                where model = '{{ model_name }}'
            ),
            changed as (
                select city, period_key from (
                    (select * from now_in except select * from built)
                    union
                    (select * from built except select * from now_in)
                )
                group by all
            ),
            whole as (select distinct city from changed where period_key = '*'),
            known as (select city, period_key from now_in union select city, period_key from built),
            -- the periods whose rows read a changed period: itself, and those within reach
            reached as (
                select distinct k.city, k.period_key
                from known as k
                inner join changed as c
                    on c.city = k.city and c.period_key <> '*' and k.period_key <> '*'
                    and abs(date_diff('day', k.period_key::date, c.period_key::date)) <= {{ reach }}
                where k.city not in (select city from whole)
            )
            select city, '*' as period_key from whole
            union all
            select city, period_key from reached
            order by city, period_key
        {%- endset -%}
        {%- set todo = run_query(changed_sql) -%}
        {%- set terms = [] -%}
        {%- for row in todo.rows -%}
            {%- if row['city'] not in cities %}{% do cities.append(row['city']) %}{% endif -%}
            {%- if row['period_key'] == '*' -%}
                {%- do terms.append("(city = '" ~ row['city'] ~ "')") -%}
            {%- else -%}
                {%- do periods.append(row['city'] ~ ' ' ~ row['period_key']) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for city in cities -%}
            {%- set dates = [] -%}
            {%- for row in todo.rows if row['city'] == city and row['period_key'] != '*' -%}
                {%- do dates.append("date '" ~ row['period_key'] ~ "'") -%}
            {%- endfor -%}
            {%- if dates -%}
                {%- do terms.append("(city = '" ~ city ~ "' and " ~ period_column ~ " in (" ~ dates | join(', ') ~ "))") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set mode = 'incremental' if terms | length > 0 else 'unchanged' -%}
        {%- set row_filter = terms | join(' or ') if terms else 'false' -%}
        {% call statement('main') -%}
            {%- if terms | length > 0 %}
                delete from {{ target_relation }} where {{ row_filter }};
                insert into {{ target_relation }} by name
                select * from (
                    {{ sql }}
                ) as increment
                where {{ row_filter }};
            {%- else %}
                select 1;
            {%- endif %}
        {%- endcall %}
        {%- set record_filter = 'city in ' ~ city_list(cities) -%}
    {%- endif -%}

    {% call statement('record') -%}
        delete from meta.dbt_period_increments where model = '{{ model_name }}' and {{ record_filter }};
        insert into meta.dbt_period_increments
        select '{{ model_name }}', city, period_key, input_digest, '{{ code_hash }}', now()::timestamp, '{{ invocation_id }}'
        from (
            {%- if parts is none %}
            select null::varchar as city, null::varchar as period_key, null::varchar as input_digest where false
            {%- else %}
            {{ period_input_digests_sql(read_tables, period_tables) }}
            {%- endif %}
        ) as now_in
        where {{ record_filter }};
    {%- endcall %}

    {% call statement('log_run') -%}
        {{ log_increment_run(model_name, mode, reason, cities, periods, target_relation, row_filter) }}
    {%- endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- Spark: a full rebuild, as city_incremental there (macros/increments.sql says why). -#}
{% materialization city_period_incremental, adapter='spark' %}
    {{ return(spark_full_rebuild()) }}
{% endmaterialization %}
