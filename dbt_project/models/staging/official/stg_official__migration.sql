-- Official Zu- und Fortzüge (cases, not persons) per region and year, long format:
-- flow (zuzug/fortzug), boundary (gemeinde/kreis) and scope (all moves across that boundary, or
-- only those from/to abroad). CBS figures are mapped to the nearest German definition and say so.
with genesis as (
    select
        *,
        case when measure ilike 'Zuzüge%' then 'zuzug' when measure ilike 'Fortzüge%' then 'fortzug' end as flow,
        case when measure ilike '%Kreisgrenzen%' then 'kreis' else 'gemeinde' end as boundary,
        case when measure ilike '%Ausland%' then 'ausland' else 'all' end as scope,
        'Destatis Wanderungsstatistik: ' || measure as definition_note,
        case when table_code = '12711-03-02-4' or table_code = '12711-05-02-4' then 1 else 2 end as table_priority
    from {{ ref('stg_official__values') }}
    where statistic_code = '12711'
),

cbs as (
    select
        *,
        case when measure in ('TotalArrivals', 'DueToImmigration') then 'zuzug' else 'fortzug' end as flow,
        'gemeinde' as boundary,
        case when measure in ('DueToImmigration', 'DueToEmigrationIncludingAdministr') then 'ausland' else 'all' end
            as scope,
        'CBS 37259: ' || measure
        || case when measure like '%Administr%'
                then ' (includes administrative removals from the register; NL definition)'
            else ''
        end
            as definition_note,
        1 as table_priority
    from {{ ref('stg_official__values') }}
    where table_code = '37259eng'
        and measure in (
            'TotalArrivals', 'DueToImmigration', 'TotalDeparturesIncludingAdministra',
            'DueToEmigrationIncludingAdministr'
        )
),

unioned as (
    select * from genesis
    union all
    select * from cbs
),

-- one row per cell: the preferred table, then the first file
ranked as (
    select
        region_code, city_key, region_level, region_name, period_year as year, flow, boundary, scope,
        sex, nationality, age_group, value as moves, value_symbol, missing_reason, rounded,
        basis_note as series_note, definition_note, table_code, file, source,
        row_number() over (
            partition by region_code, period_year, flow, boundary, scope, sex, nationality, age_group
            order by table_priority, table_code, file
        ) as cell_rank
    from unioned
    where flow is not null
)

select
    region_code, city_key, region_level, region_name, year, flow, boundary, scope,
    sex, nationality, age_group, moves, value_symbol, missing_reason, rounded,
    series_note, definition_note, table_code, file, source
from ranked
where cell_rank = 1
