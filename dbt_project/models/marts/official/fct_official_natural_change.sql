-- Official live births and deaths per region and year (both sexes), with the natural balance.
select
    region_code, city_key, region_level, region_name, year,
    max(case when event = 'births' then events end) as births,
    max(case when event = 'deaths' then events end) as deaths,
    max(case when event = 'births' then events end) - max(case when event = 'deaths' then events end)
        as natural_balance,
    {{ string_agg_distinct('table_code', ', ') }} as table_codes,
    'official' as figure_basis
from {{ ref('stg_official__natural_change') }}
where sex = 'insgesamt' and event is not null
group by all
