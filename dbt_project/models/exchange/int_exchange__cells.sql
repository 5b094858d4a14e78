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
    select city, period, 'inflow' as indicator_id, group_value, is_total, is_provisional,
           inflows::double as numerator, null::double as denominator, inflows::double as value
    from fluctuation
    union all
    select city, period, 'outflow', group_value, is_total, is_provisional,
           outflows, null, outflows
    from fluctuation
    union all
    -- a balance is not a count of persons: no primary rule of its own, hidden with its family
    select city, period, 'net_migration', group_value, is_total, is_provisional,
           null, null, net_migration
    from fluctuation
    union all
    select city, period, 'migration_volume_rate', group_value, is_total, is_provisional,
           migration_volume, average_population, rate_gross_per_1000
    from fluctuation
    union all
    select city, period, 'net_migration_rate', group_value, is_total, is_provisional,
           null, average_population, rate_net_per_1000
    from fluctuation
    union all
    select city, period, 'ava_share', group_value, is_total, is_provisional,
           outflows_ex_officio, outflows,
           case when outflows > 0 then outflows_ex_officio::double / outflows end
    from fluctuation
),

-- fct_dwell_time_stock: quarter-end reference dates, city total, by nationality group
stock as (
    select
        city, year(stichtag) || '-Q' || quarter(stichtag) as period,
        nationality_group as group_value, nationality_group = 'INSGESAMT' as is_total,
        persons, persons_ge_3y, share_ge_3y
    from {{ ref('fct_dwell_time_stock') }}
    where district_code = 'INSGESAMT'
      and stichtag = last_day(stichtag) and month(stichtag) in (3, 6, 9, 12)
),

stock_cells as (
    select city, period, 'population' as indicator_id, group_value, is_total, false as is_provisional,
           persons::double as numerator, null::double as denominator, persons::double as value
    from stock
    union all
    select city, period, 'dwell_3y_share', group_value, is_total, false,
           persons_ge_3y, persons, share_ge_3y
    from stock
),

-- fct_sgb2: the quarter's last delivered month, city total, by nationality group
sgb2 as (
    select *
    from {{ ref('fct_sgb2') }}
    where district_code = 'INSGESAMT'
    qualify month = max(month) over (partition by city, year(month), quarter(month))
),

sgb2_cells as (
    select
        city, year(month) || '-Q' || quarter(month) as period, 'sgb2_elb_rate' as indicator_id,
        nationality_group as group_value, nationality_group = 'INSGESAMT' as is_total, is_provisional,
        -- the Agency's own suppression stays: a suppressed elb is passed on as 1 so that the
        -- primary rule hides it again (never published, never un-suppressed)
        case when elb_suppressed then 1 else elb end::double as numerator,
        registered_15_64::double as denominator,
        case when elb_suppressed then null else sgb2_quota_pct / 100.0 end as value
    from sgb2
),

-- fct_housing_vacancy: city total per reference date
vacancy_cells as (
    select
        city, year(stichtag) || '-Q' || quarter(stichtag) as period, 'vacancy_rate' as indicator_id,
        'INSGESAMT' as group_value, true as is_total, false as is_provisional,
        vacant_dwellings::double as numerator, dwellings::double as denominator, vacancy_share as value
    from {{ ref('fct_housing_vacancy') }}
    where district_code = 'INSGESAMT'
    qualify stichtag = max(stichtag) over (partition by city, year(stichtag), quarter(stichtag))
),

-- fct_segregation: one index per nationality group (not additive: no total row)
segregation_cells as (
    select
        city, quarter_key as period, 'segregation_dissimilarity' as indicator_id,
        nationality_group as group_value, false as is_total, false as is_provisional,
        group_persons::double as numerator, total_persons::double as denominator,
        dissimilarity_index as value
    from {{ ref('fct_segregation') }}
    where nationality_group <> 'INSGESAMT'
    qualify stichtag = max(stichtag) over (partition by city, quarter_key)
),

-- fct_dunkelziffer_recommended: unregistered residents, whole city, per nationality group x age
-- band, with the recommended method's 95 % interval (estimates are not additive: no total row)
dunkelziffer_cells as (
    select
        city, year(stichtag) || '-Q' || quarter(stichtag) as period, 'unregistered_estimate' as indicator_id,
        nationality_group || ' ' || age_band as group_value, false as is_total, false as is_provisional,
        point::double as numerator, registered::double as denominator, point::double as value,
        lower::double as ci_lower, upper::double as ci_upper, method
    from {{ ref('fct_dunkelziffer_recommended') }}
    where district = 'ALLE' and quantity = 'unregistered'
),

breakdown_cells as (
    {%- set parts = [
        ('fluctuation_cells', 'nationality_group', 'fluctuation', 'null'),
        ('stock_cells', 'nationality_group', 'stock', 'null'),
        ('sgb2_cells', 'nationality_group', 'sgb2', 'null'),
        ('vacancy_cells', 'total', 'vacancy', 'null'),
        ('segregation_cells', 'nationality_group', 'segregation', "'Duncan dissimilarity over districts'"),
        ('dunkelziffer_cells', 'nationality_group_age_band', 'dunkelziffer', none),
    ] %}
    {%- for cte, breakdown, family, method in parts %}
    select
        *,
        '{{ breakdown }}' as breakdown,
        '{{ family }}' as suppression_family,
        'register' as basis
        {%- if method is not none %},
        {{ method }}::varchar as method,
        null::double as ci_lower,
        null::double as ci_upper
        {%- endif %}
    from {{ cte }}
    {% if not loop.last %}union all by name{% endif %}
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
from breakdown_cells as c
left join cities as ci on ci.city = c.city
