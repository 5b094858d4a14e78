-- Live births and deaths per region and year (GENESIS 12612 / 12613, CBS 37259).
select
    region_code, city_key, region_level, region_name, period_year as year, sex,
    case
        when statistic_code = '12612' or measure = 'LiveBornChildren' then 'births'
        when statistic_code = '12613' or measure = 'Deaths' then 'deaths'
    end as event,
    value as events, value_symbol, missing_reason, table_code, file, source
from {{ ref('stg_official__values') }}
where statistic_code in ('12612', '12613')
    or (table_code = '37259eng' and measure in ('LiveBornChildren', 'Deaths'))
