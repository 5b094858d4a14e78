{#
  Dunkelziffer estimates for the alliance: every method's point, 95 % interval, assumptions and
  warnings per city x nationality group x age band (whole city only), WITHOUT the JSON inputs
  and alternatives of the city layer (they hold small list overlaps).
  Disclosure control: an age band whose registered count (the denominator beside the estimate)
  or rounded point estimate is 1 or 2 (or -1, -2) is withheld in every method and quantity (linked); as the
  registered total of a group is published (population), a single withheld age band pulls a
  complement with it (secondary) - also when the synthetic total of an estimate is itself 1 or 2
  (e.g. one registered-but-gone person in one age band, 0 elsewhere): hiding that total does not
  hide the registered count of the band, which is population minus the open bands
  (total_published_elsewhere). Synthetic group totals drive the rule and are dropped.
#}
with est as (
    select
        city,
        {{ quarter_key('stichtag') }} as period,
        stichtag, nationality_group, age_band, method, quantity,
        registered, point, lower, upper, se, interval_method, assumptions, warnings, valid, model, recommended
    from {{ source('marts', 'fct_dunkelziffer_estimates') }}
    where district = 'INSGESAMT'
),

cells as (
    select
        *,
        method || ':' || quantity as indicator_id,
        nationality_group as breakdown,
        age_band as group_value,
        false as is_total,
        -- |point| of 1 or 2 (0.5 to 2.5) is withheld like a count (negative estimates too: as precise as a count)
        cast(abs(point) as double) as numerator,
        cast(registered as double) as denominator,
        point as value,
        lower as ci_lower,
        upper as ci_upper,
        'register' as basis,
        'dunkelziffer' as suppression_family
    from est
    union all
    -- the registered total of the group (published as population): only to drive the rule;
    -- the columns of an estimate row it has no value for are NULL
    select
        city, period, any_value(stichtag) as stichtag, nationality_group,
        null as age_band, method, quantity,
        null as registered, null as point, null as lower, null as upper, null as se,
        null as interval_method, null as assumptions, null as warnings, null as valid, null as model,
        null as recommended,
        method || ':' || quantity as indicator_id, nationality_group as breakdown,
        'INSGESAMT' as group_value, true as is_total,
        cast(sum(abs(point)) as double) as numerator, cast(sum(registered) as double) as denominator,
        cast(null as double) as value, cast(null as double) as ci_lower, cast(null as double) as ci_upper,
        'register' as basis, 'dunkelziffer' as suppression_family
    from est
    group by city, period, nationality_group, method, quantity
),

controlled as (
{{ disclosure_suppress(
    'cells',
    columns=[
        'city', 'period', 'stichtag', 'nationality_group', 'age_band', 'method', 'quantity',
        'registered', 'point', 'lower', 'upper', 'se', 'interval_method', 'assumptions', 'warnings',
        'valid', 'model', 'recommended', 'indicator_id', 'breakdown', 'group_value', 'is_total',
        'basis', 'suppression_family',
    ],
    group_cols=['city', 'period', 'basis', 'indicator_id', 'breakdown'],
    family_cols=['city', 'period', 'basis', 'suppression_family', 'breakdown', 'group_value'],
    total_scope_cols=['city', 'period', 'basis', 'suppression_family', 'breakdown'],
    total_published_elsewhere=true,
) }}
)

select
    c.city,
    ci.country,
    c.period,
    c.stichtag,
    c.nationality_group,
    c.age_band,
    c.method,
    c.quantity,
    cast(c.denominator as bigint) as registered,
    c.value as point,
    c.ci_lower as lower,
    c.ci_upper as upper,
    case when not c.is_suppressed then c.se end as se,
    c.interval_method,
    c.assumptions,
    c.warnings,
    c.valid,
    c.model,
    c.recommended,
    c.is_suppressed,
    c.suppression_reason,
    c.basis
from controlled as c
left join {{ ref('dim_cities') }} as ci on ci.city = c.city
where not c.is_total
