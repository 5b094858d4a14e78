{#
  The intercity indicator table: one row per city x indicator x quarter x breakdown group.
  Built from exchange tables only (disclosure-controlled) plus the indicator catalogue.
  - blocked: a city-quarter whose source failed a blocking quality check appears with
    is_blocked and the reason; its values are withheld even if some months made it through.
  - not comparable: an indicator the catalogue restricts to other countries (e.g. SGB II for
    Enschede) appears with is_not_comparable and the reason (English, German _de, Dutch _nl from
    the catalogue's caveats); the gap is marked, not filled.
  - rank among cities within indicator, quarter, breakdown group and basis, over cities with
    a published, comparable, unblocked value (direction from the catalogue's rank_order).
#}
with catalogue as (
    select
        indicator_id,
        name_de,
        unit,
        basis as catalogue_basis,
        rank_order,
        caveats,
        -- German and Dutch caveats, the English text where a translation is missing
        coalesce(nullif(trim(caveats_de), ''), caveats) as caveats_de,
        coalesce(nullif(trim(caveats_nl), ''), caveats) as caveats_nl,
        {{ catalogue_list('countries') }} as countries,
        {{ catalogue_list('source') }} as sources
    from {{ ref('indicator_catalogue') }}
),

cells as (
    select * from {{ ref('fct_exchange_hub_cells') }}
),

-- city-quarters known only from a block (which rows a block withholds: macros/alliance_gate.sql)
gate as (
    select * from {{ ref('fct_exchange_hub_quality_gate') }}
),

city_periods as (
    select city, period, max(country) as country
    from cells
    group by city, period
    union
    select city, period, cast(null as string) as country
    from gate
    where period is not null
        and not exists (
            select 1 from cells
            where cells.city = gate.city and cells.period = gate.period
        )
),

city_country as (
    select city, max(country) as country from cells
    group by city
),

-- every (city, quarter, indicator) whose source was blocked, with the reasons (the alliance gate)
blocked as (
    select *
    from (
        select
            cp.city,
            cp.period,
            cat.indicator_id,
            {{ alliance_blocked_reason('cp.city', 'cp.period', 'cat.sources') }} as blocked_reason
        from city_periods as cp
        cross join catalogue as cat
    ) as gated
    where blocked_reason is not null
),

-- indicators the catalogue does not define for the city's country
not_comparable as (
    select
        cp.city,
        cp.period,
        cat.indicator_id,
        'not defined for ' || coalesce(cp.country, cc.country) || ': ' || cat.caveats as not_comparable_reason,
        'nicht definiert für '
        || coalesce(cp.country, cc.country)
        || ': '
        || cat.caveats_de as not_comparable_reason_de,
        'niet gedefinieerd voor '
        || coalesce(cp.country, cc.country)
        || ': '
        || cat.caveats_nl as not_comparable_reason_nl
    from city_periods as cp
    left join city_country as cc on cc.city = cp.city
    cross join catalogue as cat
    where coalesce(cp.country, cc.country) is not null
        and not array_contains(cat.countries, coalesce(cp.country, cc.country))
),

-- rows that must exist even without a cell: the total of a blocked or non-comparable indicator
placeholder_keys as (
    select city, period, indicator_id from blocked
    union
    select city, period, indicator_id from not_comparable
),

placeholders as (
    select
        k.city,
        coalesce(cp.country, cc.country) as country,
        k.period,
        k.indicator_id,
        'total' as breakdown,
        'INSGESAMT' as group_value,
        true as is_total,
        cat.catalogue_basis as basis
    from placeholder_keys as k
    inner join catalogue as cat on cat.indicator_id = k.indicator_id
    left join city_periods as cp on cp.city = k.city and cp.period = k.period
    left join city_country as cc on cc.city = k.city
    where not exists (
            select 1 from cells as c
            where c.city = k.city and c.period = k.period and c.indicator_id = k.indicator_id
        )
),

all_rows as (
    select
        city, country, period, indicator_id, breakdown, group_value, is_total, basis,
        numerator, denominator, value, ci_lower, ci_upper, method,
        is_suppressed, suppression_reason, is_provisional, is_break, package_origin
    from cells
    union all
    -- the same columns in the same order as the cells above
    select
        *,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(null as double) as value,
        cast(null as double) as ci_lower,
        cast(null as double) as ci_upper,
        cast(null as string) as method,
        false as is_suppressed,
        cast(null as string) as suppression_reason,
        false as is_provisional,
        false as is_break,
        'placeholder' as package_origin
    from placeholders
),

flagged as (
    select
        r.city,
        r.country,
        r.period,
        r.indicator_id,
        cat.name_de as indicator_name_de,
        cat.unit,
        r.breakdown,
        r.group_value,
        r.is_total,
        r.basis,
        b.indicator_id is not null as is_blocked,
        b.blocked_reason,
        nc.indicator_id is not null as is_not_comparable,
        nc.not_comparable_reason,
        nc.not_comparable_reason_de,
        nc.not_comparable_reason_nl,
        coalesce(r.is_suppressed, false) as is_suppressed,
        r.suppression_reason,
        coalesce(r.is_provisional, false) as is_provisional,
        coalesce(r.is_break, false) as is_break,
        -- blocked or non-comparable values are withheld, whatever arrived
        case when b.indicator_id is null and nc.indicator_id is null then r.numerator end as numerator,
        case when b.indicator_id is null and nc.indicator_id is null then r.denominator end as denominator,
        case when b.indicator_id is null and nc.indicator_id is null then r.value end as value,
        case when b.indicator_id is null and nc.indicator_id is null then r.ci_lower end as ci_lower,
        case when b.indicator_id is null and nc.indicator_id is null then r.ci_upper end as ci_upper,
        r.method,
        cat.rank_order,
        r.package_origin
    from all_rows as r
    left join catalogue as cat on cat.indicator_id = r.indicator_id
    left join blocked as b
        on b.city = r.city and b.period = r.period and b.indicator_id = r.indicator_id
    left join not_comparable as nc
        on nc.city = r.city and nc.period = r.period and nc.indicator_id = r.indicator_id
),

ranked as (
    select
        *,
        value is not null and rank_order in ('asc', 'desc') as is_rankable
    from flagged
)

select
    city, country, period, indicator_id, indicator_name_de, unit, breakdown, group_value, is_total, basis,
    is_blocked, blocked_reason, is_not_comparable, not_comparable_reason, not_comparable_reason_de,
    not_comparable_reason_nl, is_suppressed, suppression_reason, is_provisional, is_break,
    numerator, denominator, value, ci_lower, ci_upper, method, package_origin,
    -- rank() is a BIGINT in DuckDB, an INT in Spark: one type for both
    cast(case
        when is_rankable and rank_order = 'desc'
            then
                rank()
                    over (
                        partition by indicator_id, period, breakdown, group_value, basis, is_rankable
                        order by value desc
                    )
        when is_rankable and rank_order = 'asc' then
            rank()
                over (partition by indicator_id, period, breakdown, group_value, basis, is_rankable order by value asc)
    end as bigint) as rank_among_cities,
    case when is_rankable then
            count(*) over (partition by indicator_id, period, breakdown, group_value, basis, is_rankable)
    end as n_cities_ranked
from ranked
