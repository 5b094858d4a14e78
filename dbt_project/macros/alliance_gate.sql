{#
  The one quality gate of the alliance layer. Every alliance model asks it whether a row's
  city-quarter is blocked for the sources the row is built from, so that a city-period blocked in
  one table is blocked in all of them (values withheld, is_blocked and the reason shown):
  - blocks come from fct_exchange_hub_quality_gate (the local gate and the imported packages'),
    a block with applies_to_all_periods (e.g. the area reference `current`) blocks every quarter;
  - `sources` is a SQL list of source names (`sql_array([...])` of literals, a list column, or
    `indicator_sources([...])` for the catalogue's sources of fixed indicators; for an indicator
    column of the outer row join `indicator_source_lists()` first: Spark resolves no column of a
    query two levels up).
  The reason is "source: reason" of every block that applies, NULL when none does.
  `city` and `period` must name the outer row's columns with their table alias (a bare `city`
  would be the gate's own column inside the subquery).
#}
{% macro alliance_blocked_reason(city, period, sources) -%}
(
    select {{ string_agg_distinct("alliance_gate.source || ': ' || alliance_gate.reason", '; ') }}
    from {{ ref('fct_exchange_hub_quality_gate') }} as alliance_gate
    where
        alliance_gate.city = {{ city }}
        and (alliance_gate.period = {{ period }} or alliance_gate.applies_to_all_periods)
        and array_contains({{ sources }}, alliance_gate.source)
)
{%- endmacro %}

{# A comma-separated catalogue column (sources, countries) as a list of trimmed names. #}
{% macro catalogue_list(source_col) -%}
    {{ trim_elements(split_string(source_col, ',')) }}
{%- endmacro %}

{# The catalogue's sources (list of names) of the indicators `indicator_ids` (a list of names). #}
{% macro indicator_sources(indicator_ids) -%}
    {%- set quoted = [] %}
    {%- for indicator_id in indicator_ids %}{% do quoted.append("'" ~ indicator_id ~ "'") %}{% endfor -%}
(
    select array_distinct(flatten(array_agg({{ catalogue_list('source_cat.source') }})))
    from {{ ref('indicator_catalogue') }} as source_cat
    where array_contains({{ sql_array(quoted) }}, source_cat.indicator_id)
)
{%- endmacro %}

{# indicator_id and its sources (list) of every catalogue indicator: join it to rows that carry
   an indicator_id and pass `<alias>.sources` to alliance_blocked_reason. #}
{% macro indicator_source_lists() -%}
(
    select indicator_id, {{ catalogue_list('source') }} as sources
    from {{ ref('indicator_catalogue') }}
)
{%- endmacro %}

{# A value the gate withholds: NULL when the row is blocked. #}
{% macro unless_blocked(value, blocked_reason='blocked_reason') -%}
    case when {{ blocked_reason }} is null then {{ value }} end
{%- endmacro %}
