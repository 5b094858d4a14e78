-- SGB II per city, month, district and nationality group from the Federal Employment Agency's
-- aggregates. District 'INSGESAMT' sums the districts; a sum containing a suppressed cell is
-- suppressed (NULL, *_suppressed = true) - suppression is never undone by adding up.
-- SGB II quota = ELB / registered persons aged 15-64 of the same group and district x 100
-- (denominator: latest stock on or before the month's end, at most 92 days old; age by birth
-- year). A month is provisional until its final version (_v2 or later) is loaded.
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
    group by all
),

cells as (
    select * from agg
    union all by name
    select * from city_totals
),

stock_for_month as (
    select c.city, c.month, max(s.stichtag) as stock_date
    from (select distinct city, month from cells) as c
    join (select distinct city, stichtag from {{ ref('int_population_counts') }}) as s
      on s.city = c.city and s.stichtag <= (c.month + interval 1 month - interval 1 day)::date
     and s.stichtag > (c.month + interval 1 month - interval 1 day)::date - 92
    group by all
),

denominators as (
    select
        city, stichtag,
        {{ district_group_columns() }},
        sum(persons_15_64)::bigint as registered_15_64
    from {{ ref('int_population_counts') }}
    where not is_projected
    {{ group_by_district_group_totals('city, stichtag') }}
)

select
    c.city,
    c.month,
    c.district_code,
    c.nationality_group,
    c.bg::bigint as bg,
    c.elb::bigint as elb,
    c.nef::bigint as nef,
    c.personen_in_bg::bigint as personen_in_bg,
    c.bg_suppressed,
    c.elb_suppressed,
    c.nef_suppressed,
    c.personen_in_bg_suppressed,
    sm.stock_date as register_stock_date,
    coalesce(d.registered_15_64, case when sm.stock_date is not null then 0 end) as registered_15_64,
    {{ safe_ratio('c.elb', 'd.registered_15_64', 100) }} as sgb2_quota_pct,
    c.is_provisional,
    c.delivery_version,
    'register' as basis
from cells as c
left join stock_for_month as sm on sm.city = c.city and sm.month = c.month
left join denominators as d
  on d.city = c.city and d.stichtag = sm.stock_date
 and d.district_code = c.district_code and d.nationality_group = c.nationality_group
