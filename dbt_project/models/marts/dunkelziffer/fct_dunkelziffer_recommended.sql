-- One row per stratum and quantity: the estimate of the method METHODS.md recommends for it,
-- rounded to whole persons (estimates are not counts; the interval says how far to trust them).
select
    city,
    stichtag,
    nationality_group,
    age_band,
    district,
    quantity,
    method,
    registered,
    round(point) as point,
    floor(lower) as lower,
    ceil(upper) as upper,
    valid,
    warnings,
    assumptions
from {{ source('marts', 'fct_dunkelziffer_estimates') }}
where recommended
