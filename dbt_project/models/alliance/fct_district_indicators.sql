{#
  District indicators for planners: city x district x nationality group per quarter, from the
  disclosure-controlled exchange district cells of the hub (local or imported packages), with the catalogue's name and unit.
  district_level says which table a row belongs to (one level per indicator and city).
#}
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
    d.numerator,
    d.denominator,
    d.value,
    d.ci_lower,
    d.ci_upper,
    d.is_suppressed,
    d.suppression_reason,
    d.is_provisional,
    d.is_break
from {{ ref('fct_exchange_hub_district_cells') }} as d
left join {{ ref('indicator_catalogue') }} as cat on cat.indicator_id = d.indicator_id
