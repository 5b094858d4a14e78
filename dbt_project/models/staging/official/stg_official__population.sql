-- Official population by reference date, sex and nationality (Deutsche / Ausländer where the
-- table has it), one row per region, date, sex and nationality: the table with the finest
-- breakdown is not preferred over the plain total table; the total table (12411-01-01-4) wins.
-- basis says which count the figure is carried forward from, so breaks stay visible.
with candidates as (
    select
        region_code, city_key, region_level, region_name, period_date as stichtag,
        period_year as year, sex, nationality, value as population, value_symbol, missing_reason,
        rounded, table_code, file, source, basis_note,
        case
            when statistic_code = '12411' and period_year < 2011 then 'pre_zensus_2011'
            when statistic_code = '12411' and period_year < 2022 then 'zensus_2011'
            when statistic_code = '12411' then 'zensus_2022'
            when statistic_code = '1000A' then 'zensus_2022_count'
            when source = 'cbs' then 'cbs_brp'
        end as basis,
        case
            when table_code = '12411-01-01-4' then 1
            when table_code like '12411-03-0%' then 2
            when table_code = '37230ned' then 1
            when table_code = '37259eng' then 2
            else 3
        end as table_priority
    from {{ ref('stg_official__values') }}
    where age_group = 'insgesamt'
        and (
            (statistic_code = '12411' and measure = 'Bevölkerungsstand')
            or (statistic_code = '12411' and measure_code = 'BEVSTD')
            or (table_code = '1000A-0000' and measure_code in ('PRS001', 'PRS018'))
            or (table_code = '37230ned' and measure = 'Bevolking aan het einde van de periode')
            or (table_code = '37259eng' and measure = 'PopulationOn31December')
        )
),

ranked as (
    select
        *,
        row_number() over (
            partition by coalesce(region_code, region_name), stichtag, sex, nationality, basis
            order by table_priority, file
        ) as cell_rank
    from candidates
)

select
    region_code, city_key, region_level, region_name, stichtag, year, sex, nationality, population,
    value_symbol, missing_reason, rounded, table_code, file, source, basis_note, basis
from ranked
where cell_rank = 1
