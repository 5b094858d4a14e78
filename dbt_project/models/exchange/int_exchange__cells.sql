{{ config(schema='intermediate') }}
{#
  The city layer's aggregates in the exchange cell layout, BEFORE disclosure control.
  Schema `intermediate`: never published, never exported (counts of 1 or 2 are still visible).
  City level only (district 'INSGESAMT'), quarters only, one CTE per contributing mart.
  Cells of one suppression_family are computed from the same counts and are suppressed together.
#}
with cities as (
    select city, country from {{ ref('dim_cities') }}
),

-- fct_fluctuation: quarters, city total, by nationality group ('INSGESAMT' = total)
fluctuation as (
    select
        city, period_key as period, nationality_group as group_value,
        nationality_group = 'INSGESAMT' as is_total,
        not is_complete as is_provisional,
        inflows, outflows, outflows_ex_officio, net_migration, migration_volume,
        average_population, rate_gross_per_1000, rate_net_per_1000
    from {{ ref('fct_fluctuation') }}
    where period_type = 'quarter' and district_code = 'INSGESAMT'
),

fluctuation_cells as (
    select
        city, period, 'inflow' as indicator_id, group_value, is_total, is_provisional,
        cast(inflows as double) as numerator, cast(null as double) as denominator, cast(inflows as double) as value
    from fluctuation
    union all
    select
        city, period, 'outflow', group_value, is_total, is_provisional,
        outflows, null, outflows
    from fluctuation
    union all
    -- a balance is not a count of persons: no primary rule of its own, hidden with its family
    select
        city, period, 'net_migration', group_value, is_total, is_provisional,
        null, null, net_migration
    from fluctuation
    union all
    select
        city, period, 'migration_volume_rate', group_value, is_total, is_provisional,
        migration_volume, average_population, rate_gross_per_1000
    from fluctuation
    union all
    select
        city, period, 'net_migration_rate', group_value, is_total, is_provisional,
        null, average_population, rate_net_per_1000
    from fluctuation
    union all
    select
        city, period, 'ava_share', group_value, is_total, is_provisional,
        outflows_ex_officio, outflows,
        case when outflows > 0 then cast(outflows_ex_officio as double) / outflows end
    from fluctuation
),

-- fct_dwell_time_stock: quarter-end reference dates, city total, by nationality group
stock as (
    select
        city, {{ quarter_key('stichtag') }} as period,
        nationality_group as group_value, nationality_group = 'INSGESAMT' as is_total,
        persons, persons_ge_3y, share_ge_3y
    from {{ ref('fct_dwell_time_stock') }}
    where district_code = 'INSGESAMT'
        and stichtag = last_day(stichtag) and month(stichtag) in (3, 6, 9, 12)
),

stock_cells as (
    select
        city, period, 'population' as indicator_id, group_value, is_total, false as is_provisional,
        cast(persons as double) as numerator, cast(null as double) as denominator, cast(persons as double) as value
    from stock
    union all
    select
        city, period, 'dwell_3y_share', group_value, is_total, false,
        persons_ge_3y, persons, share_ge_3y
    from stock
),

-- fct_sgb2: the quarter's last delivered month, city total, by nationality group
sgb2 as (
    select *
    from (
        select *, max(month) over (partition by city, year(month), quarter(month)) as quarter_last_month
        from {{ ref('fct_sgb2') }}
        where district_code = 'INSGESAMT'
    ) as months
    where month = quarter_last_month
),

sgb2_cells as (
    select
        city, {{ quarter_key('month') }} as period, 'sgb2_elb_rate' as indicator_id,
        nationality_group as group_value, nationality_group = 'INSGESAMT' as is_total, is_provisional,
        -- the Agency's own suppression stays: a suppressed elb is passed on as 1 so that the
        -- primary rule hides it again (never published, never un-suppressed)
        cast(case when elb_suppressed then 1 else elb end as double) as numerator,
        cast(registered_15_64 as double) as denominator,
        case when elb_suppressed then null else sgb2_quota_pct / 100.0 end as value
    from sgb2
),

-- fct_housing_vacancy: city total per reference date
vacancy_cells as (
    select
        city, {{ quarter_key('stichtag') }} as period, 'vacancy_rate' as indicator_id,
        'INSGESAMT' as group_value, true as is_total, false as is_provisional,
        cast(vacant_dwellings as double) as numerator, cast(dwellings as double) as denominator,
        vacancy_share as value
    from (
        select *, max(stichtag) over (partition by city, year(stichtag), quarter(stichtag)) as quarter_last_date
        from {{ ref('fct_housing_vacancy') }}
        where district_code = 'INSGESAMT'
    ) as dates
    where stichtag = quarter_last_date
),

-- fct_segregation: one index per nationality group (not additive: no total row)
segregation_cells as (
    select
        city, period, 'segregation_dissimilarity' as indicator_id,
        nationality_group as group_value, false as is_total, false as is_provisional,
        cast(group_persons as double) as numerator, cast(total_persons as double) as denominator,
        dissimilarity_index as value
    from (
        select *, max(stichtag) over (partition by city, period) as period_last_date
        from {{ ref('fct_segregation') }}
        where nationality_group <> 'INSGESAMT'
    ) as dates
    where stichtag = period_last_date
),

-- fct_dunkelziffer_recommended: unregistered residents, whole city, per nationality group x age
-- band, with the recommended method's 95 % interval (estimates are not additive: no total row)
dunkelziffer_cells as (
    select
        city, {{ quarter_key('stichtag') }} as period, 'unregistered_estimate' as indicator_id,
        nationality_group || ' ' || age_band as group_value, false as is_total, false as is_provisional,
        cast(point as double) as numerator, cast(registered as double) as denominator,
        cast(point as double) as value, cast(lower as double) as ci_lower, cast(upper as double) as ci_upper,
        method
    from {{ ref('fct_dunkelziffer_recommended') }}
    where district = 'INSGESAMT' and quantity = 'unregistered'
),

-- Kaplan-Meier retention of arrival cohorts (fct_retention_km): S at 12 and 36 months with the
-- Greenwood interval at that step. Estimates refer to the whole observation, so their period is
-- the city's latest delivered quarter (the "as of" quarter). Each arrival year is its own
-- breakdown: the cohort's groups add up to its INSGESAMT row (numerator = persons who left up to
-- the horizon, denominator = registration spells of the cohort), which disclosure control needs.
retention_asof as (
    select city, max(period_key) as period
    from {{ ref('fct_fluctuation') }}
    where period_type = 'quarter'
    group by city
),

retention_at_horizon as (
    select
        k.city, k.nationality_group, k.arrival_year, h.horizon,
        sum(case when k.months_since_arrival <= h.horizon then k.n_left end) as left_by_horizon,
        {{ max_by_present('k.ci_lower', 'k.days_since_arrival', 'k.months_since_arrival <= h.horizon') }} as ci_lower,
        {{ max_by_present('k.ci_upper', 'k.days_since_arrival', 'k.months_since_arrival <= h.horizon') }} as ci_upper
    from {{ ref('fct_retention_km') }} as k
    cross join (values (12), (36)) as h (horizon)
    group by all
),

retention_cells as (
    select
        m.city, a.period, 'retention_' || h.horizon || 'm' as indicator_id,
        'nationality_group_arrival_' || m.arrival_year as breakdown,
        m.nationality_group as group_value, m.nationality_group = 'INSGESAMT' as is_total,
        false as is_provisional,
        cast(coalesce(r.left_by_horizon, 0) as double) as numerator, cast(m.spells as double) as denominator,
        case h.horizon when 12 then m.retention_12m else m.retention_36m end as value,
        -- no exit before the horizon: S = 1 with a degenerate interval
        coalesce(r.ci_lower, 1.0) as ci_lower, coalesce(r.ci_upper, 1.0) as ci_upper,
        m.method
    from {{ ref('fct_retention_km_median') }} as m
    cross join (values (12), (36)) as h (horizon)
    inner join retention_asof as a on a.city = m.city
    left join retention_at_horizon as r
        on r.city = m.city and r.nationality_group = m.nationality_group
            and r.arrival_year = m.arrival_year and r.horizon = h.horizon
    where case h.horizon when 12 then m.retention_12m else m.retention_36m end is not null
),

-- fct_school_enrolment / fct_schools: school census day, city, by nationality group
school_cells as (
    select
        city, {{ quarter_key('stichtag') }} as period,
        'pupils_per_registered_6_14' as indicator_id, nationality_group as group_value,
        nationality_group = 'INSGESAMT' as is_total, false as is_provisional,
        cast(pupils_6_14 as double) as numerator, cast(registered_6_14 as double) as denominator,
        pupils_per_registered_6_14 as value
    from {{ ref('fct_school_enrolment') }}
    union all
    select
        city, {{ quarter_key('stichtag') }}, 'pupils_not_in_register_share',
        nationality_group, nationality_group = 'INSGESAMT', false,
        pupils_not_in_register, pupils,
        case when pupils > 0 then cast(pupils_not_in_register as double) / pupils end
    from {{ ref('fct_school_enrolment') }}
    union all
    select
        city, {{ quarter_key('stichtag') }}, 'pupils_newcomer_classes',
        case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end,
        grouping(nationality_group) = 1, false,
        sum(pupils), null, sum(pupils)
    from {{ ref('fct_schools') }}
    where class_type = 'ERSTFOERDERUNG'
    group by grouping sets ((city, stichtag, nationality_group), (city, stichtag))
),

-- fct_counselling: months summed to quarters (contacts, not distinct persons)
counselling as (
    select
        city, {{ quarter_key('month') }} as period, nationality_group,
        sum(contacts) as contacts,
        sum(case when stated_registration = 'nein' then contacts end) as contacts_unregistered
    from {{ ref('fct_counselling') }}
    group by all
),

counselling_cells as (
    select
        city, period, 'counselling_contacts' as indicator_id, nationality_group as group_value,
        nationality_group = 'INSGESAMT' as is_total, false as is_provisional,
        cast(contacts as double) as numerator, cast(null as double) as denominator, cast(contacts as double) as value
    from counselling
    union all
    select
        city, period, 'counselling_unregistered_share', nationality_group,
        nationality_group = 'INSGESAMT', false,
        coalesce(contacts_unregistered, 0), contacts,
        cast(coalesce(contacts_unregistered, 0) as double) / nullif(contacts, 0)
    from counselling
),

-- fct_housing_problem_properties: last reference date of the quarter, whole city
problem_properties as (
    select *
    from (
        select *, max(stichtag) over (partition by city, year(stichtag), quarter(stichtag)) as quarter_last_date
        from {{ ref('fct_housing_problem_properties') }}
        where district_code = 'INSGESAMT'
    ) as dates
    where stichtag = quarter_last_date
),

problem_property_cells as (
    select
        city, {{ quarter_key('stichtag') }} as period, 'problem_properties' as indicator_id,
        'INSGESAMT' as group_value, true as is_total, false as is_provisional,
        cast(sum(case when status in ('BEOBACHTET', 'IN_BEARBEITUNG') then properties end) as double) as numerator,
        cast(null as double) as denominator,
        cast(coalesce(sum(case when status in ('BEOBACHTET', 'IN_BEARBEITUNG') then properties end), 0) as double)
            as value
    from problem_properties
    where status <> 'INSGESAMT'
    group by all
    union all
    select
        city, {{ quarter_key('stichtag') }}, 'found_not_registered_share',
        'INSGESAMT', true, false,
        inspection_found_not_registered,
        inspection_found_registered + inspection_found_not_registered,
        share_found_not_registered
    from problem_properties
    where status = 'INSGESAMT' and properties_inspected > 0
    union all
    select
        city, {{ quarter_key('stichtag') }}, 'registered_not_found_share',
        'INSGESAMT', true, false,
        inspection_registered_not_found, inspection_registered, share_registered_not_found
    from problem_properties
    where status = 'INSGESAMT' and properties_inspected > 0
),

breakdown_cells as (
    {%- set parts = [
        ('fluctuation_cells', 'nationality_group', 'fluctuation', 'null'),
        ('stock_cells', 'nationality_group', 'stock', 'null'),
        ('sgb2_cells', 'nationality_group', 'sgb2', 'null'),
        ('vacancy_cells', 'total', 'vacancy', 'null'),
        ('segregation_cells', 'nationality_group', 'segregation', "'Duncan dissimilarity over districts'"),
        ('dunkelziffer_cells', 'nationality_group_age_band', 'dunkelziffer', none),
        ('school_cells', 'nationality_group', "case when indicator_id = 'pupils_newcomer_classes' then 'schools_newcomer' else 'schools' end", 'null'),
        ('counselling_cells', 'nationality_group', 'counselling', 'null'),
        ('problem_property_cells', 'total', 'housing_problem', 'null'),
        ('retention_cells', none, 'retention', none),
    ] %}
    {#- every part in the same column order (a union by position; no engine-specific BY NAME) #}
    {%- for cte, breakdown, family, method in parts %}
        select
            city, period, indicator_id, group_value, is_total, is_provisional, numerator, denominator, value,
            {%- if method is not none %}
                cast(null as double) as ci_lower,
                cast(null as double) as ci_upper,
                cast({{ method }} as string) as method,
            {%- else %}
                ci_lower, ci_upper, method,
            {%- endif %}
            {%- if breakdown is not none %}
                '{{ breakdown }}' as breakdown,
            {%- else %}
                breakdown,
            {%- endif %}
            {{ family if family.startswith('case') else "'" ~ family ~ "'" }} as suppression_family,
            'register' as basis
        from {{ cte }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- "All foreigners" (AUSL): the sum of every non-national group (German cities: all but DE;
-- Enschede: all but NL), in its own breakdown `nationality_summary`. Counts add up; ratios are
-- sum(numerator) / sum(denominator), i.e. the denominator-weighted mean of the group values.
-- A part withheld at the source (SGB II `*`) makes the sum unknown: numerator 1 hides it.
-- fct_exchange_cells publishes AUSL only where total and national group are published (then it
-- equals their difference and reveals nothing new). Not for indices or estimates.
summary_group_cells as (
    select
        city, period, indicator_id, 'nationality_summary' as breakdown, 'AUSL' as group_value,
        false as is_total, bool_or(is_provisional) as is_provisional,
        case when bool_or(value is null and coalesce(denominator, 1) <> 0) then 1
            else sum(numerator)
        end as numerator,
        sum(denominator) as denominator,
        case
            when bool_or(value is null and coalesce(denominator, 1) <> 0) then null
            -- summed in a fixed order: a double sum in hash order differs in the last bit from run
            -- to run
            when count(denominator) = count(*)
                then {{ ordered_sum('value * denominator', 'group_value') }} / nullif(sum(denominator), 0)
            else {{ ordered_sum('value', 'group_value') }}
        end as value,
        cast(null as double) as ci_lower, cast(null as double) as ci_upper, min(method) as method,
        basis, suppression_family
    from breakdown_cells
    where breakdown = 'nationality_group'
        and group_value not in ('INSGESAMT', 'DE', 'NL')
        and indicator_id not in ('segregation_dissimilarity')
    group by city, period, indicator_id, basis, suppression_family
),

all_cells as (
    {%- for cte in ['breakdown_cells', 'summary_group_cells'] %}
        select
            city, period, indicator_id, breakdown, group_value, is_total, is_provisional,
            numerator, denominator, value, ci_lower, ci_upper, method, basis, suppression_family
        from {{ cte }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    c.city,
    ci.country,
    c.period,
    c.indicator_id,
    c.breakdown,
    c.group_value,
    c.is_total,
    c.numerator,
    c.denominator,
    c.value,
    c.ci_lower,
    c.ci_upper,
    c.basis,
    c.method,
    c.is_provisional,
    false as is_break,
    c.suppression_family
from all_cells as c
left join cities as ci on ci.city = c.city
