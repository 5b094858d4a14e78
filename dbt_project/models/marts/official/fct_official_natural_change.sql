-- Official live births and deaths per region and year (both sexes), with the natural balance.
select
    region_code, city_key, region_level, region_name, year,
    max(events) filter (where event = 'births') as births,
    max(events) filter (where event = 'deaths') as deaths,
    max(events) filter (where event = 'births') - max(events) filter (where event = 'deaths') as natural_balance,
    string_agg(distinct table_code, ', ' order by table_code) as table_codes,
    'official' as figure_basis
from {{ ref('stg_official__natural_change') }}
where sex = 'insgesamt' and event is not null
group by all
