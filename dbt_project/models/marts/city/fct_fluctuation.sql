-- Fluctuation per city x district x nationality group x month/quarter/year (register basis).
-- Period: the registration (processing) date `meldedatum`, as in the official migration statistics.
-- Rates per 1,000 of the average population = mean of the registered stock at the end of the
-- previous period and at the end of this one (bestand, quarter ends only: months carry no rates).
-- District 'INSGESAMT' and group 'INSGESAMT' are sums over all districts / groups.
{% set flow_cols = ['inflows_abroad', 'inflows_domestic', 'inflows_unknown', 'inflows_status_change',
                    'outflows_abroad', 'outflows_domestic', 'outflows_unknown', 'outflows_ex_officio',
                    'outflows_status_change', 'moves_in', 'moves_out', 'moves_within', 'births', 'deaths'] %}
with delivered_months as (
    select distinct city, registration_month as month
    from {{ ref('stg_meldewesen__events') }}
    where registration_month = cast(delivery_period || '-01' as date)
),

city_periods as (
    select
        d.city, p.period_type, p.period_key, p.period_start, p.period_end,
        count(*) as months_delivered,
        case p.period_type when 'month' then 1 when 'quarter' then 3 else 12 end as months_in_period
    from delivered_months as d
    inner join {{ ref('dim_periods') }} as p on d.month between p.period_start and p.period_end
    group by all
),

flows_by_period as (
    select
        cp.city, cp.period_type, cp.period_key, m.district_code, m.nationality_group,
        {{ bigint_sums(flow_cols, 'm.') }}
    from city_periods as cp
    inner join {{ ref('int_fluctuation_monthly') }} as m
        on m.city = cp.city and m.month between cp.period_start and cp.period_end
    group by all
),

flows as (
    select
        city, period_type, period_key,
        {{ district_group_columns() }},
        {{ bigint_sums(flow_cols, '') }}
    from flows_by_period
    {{ group_by_district_group_totals('city, period_type, period_key') }}
),

stocks as (
    select
        city, stichtag,
        {{ district_group_columns() }},
        cast(sum(persons) as bigint) as persons
    from {{ ref('int_population_counts') }}
    where not is_projected
    {{ group_by_district_group_totals('city, stichtag') }}
    union all
    select
        city, stichtag, district_code,
        case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end,
        cast(sum(persons) as bigint)
    from {{ ref('int_population_counts') }}
    where is_projected
    group by grouping sets ((city, stichtag, district_code, nationality_group), (city, stichtag, district_code))
),

cells as (
    select distinct city, district_code, nationality_group from flows
    union
    select distinct city, district_code, nationality_group from stocks
),

grid as (
    select cp.*, c.district_code, c.nationality_group
    from city_periods as cp
    inner join cells as c on c.city = cp.city
),

joined as (
    select
        g.city, g.period_type, g.period_key, g.period_start, g.period_end,
        g.months_delivered, g.months_delivered = g.months_in_period as is_complete,
        g.district_code, g.nationality_group,
        {% for c in flow_cols %}coalesce(f.{{ c }}, 0) as {{ c }},
        {% endfor %}
        s0.persons as stock_start,
        s1.persons as stock_end
    from grid as g
    left join flows as f
        on f.city = g.city and f.period_type = g.period_type and f.period_key = g.period_key
            and f.district_code = g.district_code and f.nationality_group = g.nationality_group
    left join stocks as s0
        on s0.city = g.city and s0.stichtag = g.period_start - 1
            and s0.district_code = g.district_code and s0.nationality_group = g.nationality_group
    left join stocks as s1
        on s1.city = g.city and s1.stichtag = g.period_end
            and s1.district_code = g.district_code and s1.nationality_group = g.nationality_group
    left join {{ ref('dim_districts') }} as d
        on d.city = g.city and d.district_code = g.district_code
    -- keep a cell when something happened or the district existed in the period
    where f.city is not null or s0.persons is not null or s1.persons is not null
        or (d.valid_from <= g.period_end and coalesce(d.valid_to, date '9999-12-31') >= g.period_start)
),

measures as (
    select
        *,
        inflows_abroad + inflows_domestic + inflows_unknown + inflows_status_change as inflows,
        outflows_abroad + outflows_domestic + outflows_unknown + outflows_ex_officio
        + outflows_status_change as outflows,
        (stock_start + stock_end) / cast(2 as double) as average_population
    from joined
)

select
    *,
    inflows - outflows as net_migration,
    inflows + outflows as migration_volume,
    births - deaths as natural_balance,
    {{ safe_ratio('inflows + outflows', 'average_population', 1000) }} as rate_gross_per_1000,
    {{ safe_ratio('inflows - outflows', 'average_population', 1000) }} as rate_net_per_1000,
    {{ safe_ratio('inflows', 'average_population', 1000) }} as rate_in_per_1000,
    {{ safe_ratio('outflows', 'average_population', 1000) }} as rate_out_per_1000,
    {{ safe_ratio('inflows + outflows', 'stock_end') }} as volume_to_stock_end,
    {{ safe_ratio('inflows', 'stock_end') }} as inflows_to_stock_end,
    'register' as basis
from measures
