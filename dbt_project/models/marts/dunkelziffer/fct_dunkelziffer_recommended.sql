-- One row per stratum and quantity: the estimate of the method METHODS.md recommends for it,
-- rounded to whole persons (estimates are not counts; the interval says how far to trust them).
-- The bounds stay doubles on both engines (Spark's floor and ceil return a BIGINT: macros/portable_layers.sql).
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
    {{ floor_double('lower') }} as lower,
    {{ ceil_double('upper') }} as upper,
    valid,
    warnings,
    assumptions
from {{ source('marts', 'fct_dunkelziffer_estimates') }}
where recommended
