{# Helpers shared by the city-layer staging and marts. #}

{# Rows of a (city, source, form, period) that quality has blocked in meta.quality_gate stay out of staging. #}
{% macro not_blocked(alias, source_name, form='') -%}
not exists (
    select 1 from {{ source('meta', 'quality_gate') }} as gate
    where gate.city = {{ alias }}.city
      and gate.source = '{{ source_name }}'
      and coalesce(gate.form, '') = '{{ form }}'
      and gate.period = {{ alias }}.delivery_period
)
{%- endmacro %}

{# Destatis key of the city's own nationals: 000 in a German city, 148 (NLD) in a Dutch one. #}
{% macro national_key(country) -%}
    (case when {{ country }} = 'NL' then '148' else '000' end)
{%- endmacro %}

{# A person with the country's own nationality as first or second nationality counts as a national
   (official statistics of both countries do so). #}
{% macro effective_nationality_key(key_1, key_2, country) -%}
    (case when {{ key_2 }} = {{ national_key(country) }} then {{ key_2 }} else {{ key_1 }} end)
{%- endmacro %}

{# Nationality group of an effective key: nationals -> DE/NL; Germans in a Dutch city -> EU_SONST;
   otherwise group_de of the seed; keys not in the seed (should not pass ingest) -> DRITT_SONST. #}
{% macro nationality_group(eff_key, country, seed_group) -%}
(case
    when {{ eff_key }} = {{ national_key(country) }} then coalesce({{ country }}, 'DE')
    when {{ eff_key }} = '000' then 'EU_SONST'
    else coalesce({{ seed_group }}, 'DRITT_SONST')
 end)
{%- endmacro %}

{# Age in birth-year steps: only the birth year is delivered, so age = year(reference) - birth year
   (the age reached in the reference year). #}
{% macro age_at(reference_date, birth_year) -%}
    (year({{ reference_date }}) - {{ birth_year }})
{%- endmacro %}

{# The standard age bands (band_set 'standard' of the seed age_bands, in sort order): the seed is
   the one list (Python reads it through warehouse.vocabulary). The ref makes the seed a parent
   of every model that calls this, so `dbt build` loads it first; at parse time (execute false,
   also sqlfluff) there are no rows yet. The query reads the seed's table as dbt built it: in a
   unit test `ref` names the input fixture (a CTE no query of its own can see) and the graph is
   empty, so there the table is looked up in the seeds' schema (dbt_project.yml). #}
{% macro standard_age_bands() -%}
    {%- set _parent = ref('age_bands') %}
    {%- if not execute %}{{ return([]) }}{% endif %}
    {%- set seed = (graph.get('nodes') or {}).get('seed.' ~ project_name ~ '.age_bands') %}
    {%- if seed %}
        {%- set relation = adapter.get_relation(database=seed.database, schema=seed.schema, identifier=seed.alias) %}
    {%- else %}
        {%- set relation = adapter.get_relation(
            database=target.database, schema=generate_schema_name('reference', none), identifier='age_bands'
        ) %}
    {%- endif %}
    {%- if relation is none %}
        {{ exceptions.raise_compiler_error("seed age_bands is not loaded: run `dbt seed` (or `dbt build`) first") }}
    {%- endif %}
    {%- set rows = run_query(
        "select age_band, age_to from " ~ relation ~ " where band_set = 'standard' order by sort_order"
    ).rows %}
    {%- if rows | length == 0 %}
        {{ exceptions.raise_compiler_error("seed age_bands has no band_set 'standard'") }}
    {%- endif %}
    {{- return(rows) }}
{%- endmacro %}

{# Standard age band of an integer age ('unbekannt' without one): a CASE rendered from the seed,
   the same expression as warehouse.vocabulary.age_band_sql. #}
{% macro standard_age_band(age) -%}
    {%- set bands = standard_age_bands() -%}
(case
    when {{ age }} is null then 'unbekannt'
    {%- for band in bands[:-1] %}
    when {{ age }} < {{ (band['age_to'] | int) + 1 }} then '{{ band['age_band'] }}'
    {%- endfor %}
    else {{ "'" ~ bands[-1]['age_band'] ~ "'" if bands else 'null' }}
 end)
{%- endmacro %}

{# Sum of counts where a suppressed part suppresses the sum (BA rule: a total containing `*` is `*`). #}
{% macro suppressed_sum(value, flag) -%}
    (case when bool_or(coalesce({{ flag }}, false) or {{ value }} is null) then null else sum({{ value }}) end)
{%- endmacro %}

{% macro suppressed_flag(value, flag) -%}
    bool_or(coalesce({{ flag }}, false) or {{ value }} is null)
{%- endmacro %}

{# Ratio that is NULL instead of failing or dividing by zero. #}
{% macro safe_ratio(numerator, denominator, factor=1) -%}
    (case when {{ denominator }} is null or {{ denominator }} = 0 then null
      else {{ factor }} * cast({{ numerator }} as double) / ({{ denominator }}) end)
{%- endmacro %}


{# District and nationality group of a row of `group_by_district_group_totals`: 'INSGESAMT' on the
   total rows, so every mart marks its totals the same way. #}
{% macro district_group_columns() -%}
case when grouping(district_code) = 1 then 'INSGESAMT' else district_code end as district_code,
        case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end as nationality_group
{%- endmacro %}


{# Cells by district x nationality group within `keys`, plus the totals over either and both. #}
{% macro group_by_district_group_totals(keys) -%}
group by grouping sets (
        ({{ keys }}, district_code, nationality_group),
        ({{ keys }}, district_code),
        ({{ keys }}, nationality_group),
        ({{ keys }})
    )
{%- endmacro %}

{# `cast(sum(<prefix><col>) as bigint) as <col>` for each column, comma-separated (one select list item each). #}
{% macro bigint_sums(columns, prefix='') -%}
    {%- set items = [] %}
    {%- for c in columns %}{% do items.append('cast(sum(' ~ prefix ~ c ~ ') as bigint) as ' ~ c) %}{% endfor %}
    {{- items | join(', ') }}
{%- endmacro %}
