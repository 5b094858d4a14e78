-- Official SGB II figures on 31.12. per region: persons in Bedarfsgemeinschaften and
-- Regelleistungsberechtigte, of them foreigners, with the foreigners' share (numerator and
-- denominator beside it).
with s as (
    select
        region_code, city_key, region_level, region_name, stichtag, year,
        max(case
            when measure_key = 'personen_in_bg' and sex = 'insgesamt'
                and nationality = 'insgesamt' and age_group = 'insgesamt'
                then persons
        end) as personen_in_bg,
        max(case
            when measure_key = 'regelleistungsberechtigte' and sex = 'insgesamt'
                and nationality = 'insgesamt' and age_group = 'insgesamt'
                then persons
        end) as regelleistungsberechtigte,
        max(case
            when measure_key = 'regelleistungsberechtigte' and sex = 'insgesamt'
                and nationality = 'auslaendisch'
                then persons
        end) as regelleistungsberechtigte_auslaendisch,
        {{ string_agg_distinct('table_code', ', ') }} as table_codes
    from {{ ref('stg_official__sgb2') }}
    group by all
)

select
    *,
    100.0 * regelleistungsberechtigte_auslaendisch / nullif(regelleistungsberechtigte, 0)
        as share_auslaendisch_percent,
    'official' as figure_basis
from s
where personen_in_bg is not null or regelleistungsberechtigte is not null
