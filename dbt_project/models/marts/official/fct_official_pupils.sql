-- Official pupils at general schools per region, school year and school type: total and
-- foreign, with the foreigners' share. rounded = true (IT.NRW from 2019/20): the counts are
-- multiples of 5 and their sums are not exact; never un-round them.
with p as (
    select
        region_code, city_key, region_level, region_name, school_year_start, school_type,
        max(case when sex = 'insgesamt' and nationality = 'insgesamt' then pupils end) as pupils,
        max(case when sex = 'insgesamt' and nationality = 'auslaendisch' then pupils end) as pupils_auslaendisch,
        {{ string_agg_distinct('missing_reason', ', ') }} as missing_reasons,
        bool_or(rounded) as rounded,
        {{ string_agg_distinct('table_code', ', ') }} as table_codes
    from {{ ref('stg_official__pupils') }}
    group by all
)

select
    *,
    100.0 * pupils_auslaendisch / nullif(pupils, 0) as share_auslaendisch_percent,
    'official' as figure_basis
from p
