{#
  The one quality gate of the alliance layer. Every alliance model asks it whether a row's
  city-quarter is blocked for the sources the row is built from, so that a city-period blocked in
  one table is blocked in all of them (values withheld, is_blocked and the reason shown):
  - blocks come from fct_exchange_hub_quality_gate (the local gate and the imported packages'),
    a block with applies_to_all_periods (e.g. the area reference `current`) blocks every quarter;
  - `sources` is a SQL list of source names (a literal, or `indicator_sources(...)` for the
    catalogue's sources of indicators).
  The reason is "source: reason" of every block that applies, NULL when none does.
  `city` and `period` must name the outer row's columns with their table alias (a bare `city`
  would be the gate's own column inside the subquery).
#}
{% macro alliance_blocked_reason(city, period, sources) -%}
(
    select
        string_agg(
            distinct alliance_gate.source || ': ' || alliance_gate.reason,
            '; ' order by alliance_gate.source || ': ' || alliance_gate.reason
        )
    from {{ ref('fct_exchange_hub_quality_gate') }} as alliance_gate
    where
        alliance_gate.city = {{ city }}
        and (alliance_gate.period = {{ period }} or alliance_gate.applies_to_all_periods)
        and list_contains({{ sources }}, alliance_gate.source)
)
{%- endmacro %}

{# The catalogue's sources (list of names) of the indicators in the SQL list `indicator_ids`. #}
{% macro indicator_sources(indicator_ids) -%}
(
    select list_distinct(flatten(list(list_transform(string_split(source_cat.source, ','), x -> trim(x)))))
    from {{ ref('indicator_catalogue') }} as source_cat
    where list_contains({{ indicator_ids }}, source_cat.indicator_id)
)
{%- endmacro %}

{# A value the gate withholds: NULL when the row is blocked. #}
{% macro unless_blocked(value, blocked_reason='blocked_reason') -%}
    case when {{ blocked_reason }} is null then {{ value }} end
{%- endmacro %}
