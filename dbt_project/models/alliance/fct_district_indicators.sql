{#
  District indicators for planners: city x district x nationality group per quarter, from the
  disclosure-controlled exchange district cells of the hub (local or imported packages), with the catalogue's name and unit.
  district_level says which table a row belongs to (one level per indicator and city).
  A city-quarter the quality gate blocks for a source of the indicator keeps its rows with
  is_blocked and the reason, its values withheld (macros/alliance_gate.sql).
#}
with cells as (
    select
        d.*,
        {{ alliance_blocked_reason('d.city', 'd.period', 'src.sources') }} as blocked_reason
    from {{ ref('fct_exchange_hub_district_cells') }} as d
    left join {{ indicator_source_lists() }} as src on src.indicator_id = d.indicator_id
)

select
    d.city,
    d.country,
    d.period,
    d.district_code,
    d.district_level,
    d.indicator_id,
    cat.name_de as indicator_name_de,
    cat.unit,
    d.breakdown,
    d.group_value,
    d.is_total,
    d.basis,
    {{ unless_blocked('d.numerator', 'd.blocked_reason') }} as numerator,
    {{ unless_blocked('d.denominator', 'd.blocked_reason') }} as denominator,
    {{ unless_blocked('d.value', 'd.blocked_reason') }} as value,
    {{ unless_blocked('d.ci_lower', 'd.blocked_reason') }} as ci_lower,
    {{ unless_blocked('d.ci_upper', 'd.blocked_reason') }} as ci_upper,
    d.is_suppressed,
    d.suppression_reason,
    d.is_provisional,
    d.is_break,
    d.blocked_reason is not null as is_blocked,
    d.blocked_reason
from cells as d
left join {{ ref('indicator_catalogue') }} as cat on cat.indicator_id = d.indicator_id
