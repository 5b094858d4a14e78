-- SGB II per city, month, district and nationality group from the Federal Employment Agency's
-- aggregates. District 'INSGESAMT' sums the districts; a sum containing a suppressed cell is
-- suppressed (NULL, *_suppressed = true) - suppression is never undone by adding up.
-- SGB II quota = ELB / registered persons aged 15-64 of the same group and district x 100
-- (denominator: latest stock on or before the month's end, at most 92 days old; age by birth
-- year). A month is provisional until its final version (_v2 or later) is loaded.
--
-- The Agency delivers on its own district grid, which can be coarser than the register stock
-- (Duisburg: Stadtbezirke, the stock by Ortsteil). The denominator is therefore the stock rolled
-- UP the district hierarchy (dim_districts, valid on the stock date) to the code the SGB II row
-- comes at; SGB II counts are never spread down to finer districts. `district_level` says at
-- which level a row is.
{%- set month_end = add_months('month', 1) ~ ' - 1' %}
{%- set max_depth = 10 %}
with agg as (
    select
        city, monat as month, bezirk as district_code, staatsangehoerigkeit_gruppe as nationality_group,
        bg, elb, nef, personen_in_bg,
        coalesce(bg_gesperrt, false) or bg is null as bg_suppressed,
        coalesce(elb_gesperrt, false) or elb is null as elb_suppressed,
        coalesce(nef_gesperrt, false) or nef is null as nef_suppressed,
        coalesce(personen_in_bg_gesperrt, false) or personen_in_bg is null as personen_in_bg_suppressed,
        is_provisional,
        delivery_version
    from {{ ref('stg_sgb2__aggregates') }}
),

hierarchy as (
    select
        city, district_code, nullif(parent_code, '') as parent_code, level,
        coalesce(valid_from, date '1900-01-01') as valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_districts') }}
),

population as (
    select city, stichtag, district_code, nationality_group, persons_15_64
    from {{ ref('int_population_counts') }}
    where not is_projected
),

-- district denominators may also use a successor code of a district reform projected onto the
-- last stock before the reform (same area, e.g. a merge): months after the reform that still
-- take that stock then find their district. Never in the city totals.
district_population as (
    select * from population
    union all
    select p.city, p.stichtag, p.district_code, p.nationality_group, p.persons_15_64
    from {{ ref('int_population_counts') }} as p
    where p.is_projected
        and not exists (
            select 1 from population as u
            where u.city = p.city and u.stichtag = p.stichtag and u.district_code = p.district_code
        )
),

-- districts of the stock (on the stock date) and of the SGB II rows (on the month's end), each
-- with itself and its ancestors valid on that date (depth 0 = the code itself)
anchors as (
    select distinct city, stichtag as on_date, district_code from district_population
    union
    select distinct city, {{ month_end }}, district_code from agg
),

-- the chain of parents up to max_depth (10) levels (the limit guards against a cycle in a faulty
-- gebiete file): one join per level instead of a recursive CTE, which Spark 4.0 does not run
-- (sqlfluff misplaces the indents of the join loop)
-- noqa: disable=LT02
parent_chains as (
    select
        h0.city,
        h0.on_date,
        {%- for depth in range(1, max_depth + 1) %}
            h{{ depth }}.parent_code as ancestor_{{ depth }},
        {%- endfor %}
        h0.district_code
    -- h0: the anchor as its own level 0 (its "parent" is the code itself)
    from (select city, on_date, district_code, district_code as parent_code from anchors) as h0
        {%- for depth in range(1, max_depth + 1) %}
        left join hierarchy as h{{ depth }}
            on
                h{{ depth }}.city = h0.city
                and h{{ depth }}.district_code = h{{ depth - 1 }}.parent_code
                and h0.on_date between h{{ depth }}.valid_from and h{{ depth }}.valid_to
                and h{{ depth }}.parent_code is not null
        {%- endfor %}
),
-- noqa: enable=LT02

-- one row per district and ancestor (macros/district_ancestors.sql)
ancestors as (
    {{ district_ancestor_rows('anchors', 'parent_chains', max_depth) }}
),

-- a delivered SGB II code that lies inside another delivered code of the same month and group
-- (mixed levels) is left out of the city total, so that nothing is counted twice
nested_codes as (
    select distinct inner_cell.city, inner_cell.month, inner_cell.district_code, inner_cell.nationality_group
    from agg as inner_cell
    inner join ancestors as a
        on a.city = inner_cell.city and a.district_code = inner_cell.district_code and a.depth > 0
            and a.on_date = {{ add_months('inner_cell.month', 1) }} - 1
    inner join agg as outer_cell
        on outer_cell.city = inner_cell.city and outer_cell.month = inner_cell.month
            and outer_cell.nationality_group = inner_cell.nationality_group
            and outer_cell.district_code = a.ancestor_code
),

stock_ancestors as (
    select a.city, a.on_date as stichtag, a.district_code, a.ancestor_code
    from ancestors as a
    where exists (
            select 1 from district_population as p
            where p.city = a.city and p.stichtag = a.on_date and p.district_code = a.district_code
        )
),

city_totals as (
    select
        city, month, 'INSGESAMT' as district_code, nationality_group,
        {{ suppressed_sum('bg', 'bg_suppressed') }} as bg,
        {{ suppressed_sum('elb', 'elb_suppressed') }} as elb,
        {{ suppressed_sum('nef', 'nef_suppressed') }} as nef,
        {{ suppressed_sum('personen_in_bg', 'personen_in_bg_suppressed') }} as personen_in_bg,
        {{ suppressed_flag('bg', 'bg_suppressed') }} as bg_suppressed,
        {{ suppressed_flag('elb', 'elb_suppressed') }} as elb_suppressed,
        {{ suppressed_flag('nef', 'nef_suppressed') }} as nef_suppressed,
        {{ suppressed_flag('personen_in_bg', 'personen_in_bg_suppressed') }} as personen_in_bg_suppressed,
        bool_or(is_provisional) as is_provisional,
        max(delivery_version) as delivery_version
    from agg
    where not exists (
            select 1 from nested_codes as n
            where n.city = agg.city and n.month = agg.month and n.district_code = agg.district_code
                and n.nationality_group = agg.nationality_group
        )
    group by all
),

cells as (
    select * from agg
    union all
    select * from city_totals
),

stock_for_month as (
    select c.city, c.month, max(s.stichtag) as stock_date
    from (select distinct city, month from cells) as c
    inner join (select distinct city, stichtag from population) as s
        on s.city = c.city and s.stichtag <= {{ add_months('c.month', 1) }} - 1
            and s.stichtag > {{ add_months('c.month', 1) }} - 1 - 92
    group by all
),

-- registered 15-64 per district at every level of the hierarchy (a stock district counts in
-- itself and in each of its ancestors), plus the group total 'INSGESAMT'
district_denominators as (
    select
        p.city, p.stichtag, a.ancestor_code as district_code,
        case when grouping(p.nationality_group) = 1 then 'INSGESAMT' else p.nationality_group end
            as nationality_group,
        cast(sum(p.persons_15_64) as bigint) as registered_15_64
    from district_population as p
    inner join stock_ancestors as a
        on a.city = p.city and a.stichtag = p.stichtag and a.district_code = p.district_code
    group by grouping sets (
        (p.city, p.stichtag, a.ancestor_code, p.nationality_group),
        (p.city, p.stichtag, a.ancestor_code)
    )
),

city_denominators as (
    select
        city, stichtag, 'INSGESAMT' as district_code,
        case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end
            as nationality_group,
        cast(sum(persons_15_64) as bigint) as registered_15_64
    from population
    group by grouping sets ((city, stichtag, nationality_group), (city, stichtag))
),

denominators as (
    select * from district_denominators
    union all
    select * from city_denominators
),

-- districts the stock covers on a date (at any level): there a missing group means 0 registered;
-- a code the stock does not reach (finer than the stock, unknown) has no denominator at all
covered_codes as (
    select distinct city, stichtag, ancestor_code as district_code from stock_ancestors
    union all
    select distinct city, stichtag, 'INSGESAMT' from population
)

select
    c.city,
    c.month,
    c.district_code,
    case when c.district_code = 'INSGESAMT' then 'stadt' else h.level end as district_level,
    c.nationality_group,
    cast(c.bg as bigint) as bg,
    cast(c.elb as bigint) as elb,
    cast(c.nef as bigint) as nef,
    cast(c.personen_in_bg as bigint) as personen_in_bg,
    c.bg_suppressed,
    c.elb_suppressed,
    c.nef_suppressed,
    c.personen_in_bg_suppressed,
    sm.stock_date as register_stock_date,
    case when d.registered_15_64 is not null then d.registered_15_64
        when cc.district_code is not null then 0
    end as registered_15_64,
    {{ safe_ratio('c.elb', 'd.registered_15_64', 100) }} as sgb2_quota_pct,
    c.is_provisional,
    c.delivery_version,
    'register' as basis
from cells as c
left join stock_for_month as sm on sm.city = c.city and sm.month = c.month
left join denominators as d
    on d.city = c.city and d.stichtag = sm.stock_date
        and d.district_code = c.district_code and d.nationality_group = c.nationality_group
left join covered_codes as cc
    on cc.city = c.city and cc.stichtag = sm.stock_date and cc.district_code = c.district_code
left join hierarchy as h
    on h.city = c.city and h.district_code = c.district_code
        and {{ add_months('c.month', 1) }} - 1 between h.valid_from and h.valid_to
