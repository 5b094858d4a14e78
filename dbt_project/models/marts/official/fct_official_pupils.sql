-- Official pupils at general schools per region, school year and school type: total and
-- foreign, with the foreigners' share. rounded = true (IT.NRW from 2019/20): the counts are
-- multiples of 5 and their sums are not exact; never un-round them.
with p as (
    select
        region_code, city_key, region_level, region_name, school_year_start, school_type,
        max(pupils) filter (where sex = 'insgesamt' and nationality = 'insgesamt') as pupils,
        max(pupils) filter (where sex = 'insgesamt' and nationality = 'auslaendisch') as pupils_auslaendisch,
        string_agg(distinct missing_reason, ', ' order by missing_reason) as missing_reasons,
        bool_or(rounded) as rounded,
        string_agg(distinct table_code, ', ' order by table_code) as table_codes
    from {{ ref('stg_official__pupils') }}
    group by all
)

select
    *,
    100.0 * pupils_auslaendisch / nullif(pupils, 0) as share_auslaendisch_percent,
    'official' as figure_basis
from p
