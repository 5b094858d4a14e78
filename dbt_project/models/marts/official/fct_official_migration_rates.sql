-- Destatis migration rates per 1,000 of the average population, per region and year (all
-- nationalities, moves across the municipal boundary):
--   gross (Z+F)/B, net (Z-F)/B, in Z/B, out F/B, with B = mean of the population on 31.12. of
--   the previous year and on 31.12. of the year. Numerator and denominator stay beside each rate.
-- A year whose two reference populations stand on different bases (2011: pre-Zensus -> Zensus
-- 2011) is flagged; 2016/2017 carry the migration-statistics break. Nothing is bridged.
with flows as (
    select
        region_code, city_key, region_level, region_name, year, zuzuege, fortzuege,
        known_issue_note, series_note, source
    from {{ ref('fct_official_migration') }}
    where nationality = 'insgesamt' and boundary = 'gemeinde'
),

pop as (
    select region_code, stichtag, population, basis
    from {{ ref('stg_official__population') }}
    where sex = 'insgesamt' and nationality = 'insgesamt'
        and month(stichtag) = 12 and day(stichtag) = 31
        and basis <> 'zensus_2022_count'
)

select
    f.region_code, f.city_key, f.region_level, f.region_name, f.year,
    f.zuzuege, f.fortzuege,
    p0.population as population_start,
    p1.population as population_end,
    (p0.population + p1.population) / 2.0 as average_population,
    'mean of the population on 31.12. of the previous year and on 31.12. of the year' as average_population_definition,
    1000.0 * (f.zuzuege + f.fortzuege) / ((p0.population + p1.population) / 2.0) as gross_rate_per_1000,
    1000.0 * (f.zuzuege - f.fortzuege) / ((p0.population + p1.population) / 2.0) as net_rate_per_1000,
    1000.0 * f.zuzuege / ((p0.population + p1.population) / 2.0) as in_rate_per_1000,
    1000.0 * f.fortzuege / ((p0.population + p1.population) / 2.0) as out_rate_per_1000,
    p0.basis as population_start_basis,
    p1.basis as population_end_basis,
    coalesce(p0.basis <> p1.basis, false) as population_basis_break,
    f.year in (2016, 2017) and f.region_code not like 'GM%' and f.region_code not in ('NL01')
        as migration_series_break,
    concat_ws(
        '; ',
        case when p0.basis <> p1.basis
                then 'average population mixes two bases (' || p0.basis || ' -> ' || p1.basis || ')'
        end,
        case when f.year in (2016, 2017) and f.region_code not like 'GM%'
                then 'migration statistics 2016/17: new processing of register messages, not comparable with earlier years'  -- noqa: LT05
        end,
        case when p0.population is null or p1.population is null
                then 'population on 31.12. of the previous year or of the year not available: no rate'
        end,
        f.known_issue_note
    ) as rate_notes,
    f.source,
    'official' as figure_basis
from flows as f
left join pop as p0
    on p0.region_code = f.region_code and p0.stichtag = make_date(f.year - 1, 12, 31)
left join pop as p1
    on p1.region_code = f.region_code and p1.stichtag = make_date(f.year, 12, 31)
