-- Pupils at general schools by school type at the start of the school year (GENESIS 21111),
-- in total, female and foreign. rounded marks IT.NRW counts from 2019/20 (multiples of 5).
select
    region_code, city_key, region_level, region_name, period_year as school_year_start,
    {{ json_string('dims', '$.Schulart') }} as school_type,
    sex, nationality,
    value as pupils, value_symbol, missing_reason, rounded, table_code, file, source
from {{ ref('stg_official__values') }}
where statistic_code = '21111'
    and measure = 'Schüler(innen) an allgemein bildenden Schulen'
    and {{ json_string('dims', '$.Klassenstufe') }} is null
