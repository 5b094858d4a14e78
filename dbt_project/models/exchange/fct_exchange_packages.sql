{#
  One row per city and quarter that has something to exchange: the table of contents of the
  exchange package (the Python export writes it into the package manifest as well).
#}
with cells as (
    select
        city,
        period,
        max(country) as country,
        count(*) as n_cells,
        count(case when is_suppressed then 1 end) as n_suppressed,
        count(distinct indicator_id) as n_indicators,
        {{ string_agg_distinct('basis', ',') }} as bases,
        coalesce(bool_or(is_provisional), false) as has_provisional
    from {{ ref('fct_exchange_cells') }}
    group by city, period
),

gate as (
    select city, period, count(*) as n_blocked_sources
    from {{ ref('fct_exchange_quality_gate') }}
    where period is not null
    group by city, period
)

select
    coalesce(cells.city, gate.city) as city,
    coalesce(cells.period, gate.period) as period,
    cells.country,
    coalesce(cells.n_cells, 0) as n_cells,
    coalesce(cells.n_suppressed, 0) as n_suppressed,
    coalesce(cells.n_indicators, 0) as n_indicators,
    cells.bases,
    coalesce(cells.has_provisional, false) as has_provisional,
    coalesce(gate.n_blocked_sources, 0) as n_blocked_sources
from cells
full outer join gate
    on cells.city = gate.city and cells.period = gate.period
