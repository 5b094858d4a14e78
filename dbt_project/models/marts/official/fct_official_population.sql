-- Official population per region and reference date, by nationality group where the table has
-- it (insgesamt / deutsch / auslaendisch), both sexes. series_break_before marks the first date
-- on a new basis (Zensus 2011 from 31.12.2011, Zensus 2022 from 2022): never bridged.
with pop as (
    select *
    from {{ ref('stg_official__population') }}
    where sex = 'insgesamt'
)

select
    region_code, city_key, region_level, region_name, stichtag, year, nationality,
    population, value_symbol, missing_reason, rounded, basis, basis_note,
    lag(basis) over series as previous_basis,
    coalesce(lag(basis) over series <> basis, false) as series_break_before,
    table_code, file, source,
    'official' as figure_basis
from pop
window series as (
    partition by coalesce(region_code, region_name), nationality
    order by stichtag
)
