-- Official Zu- und Fortzüge per region, year, nationality and boundary (Gemeinde- or
-- Kreisgrenzen), both sexes and all ages: in total and from/to abroad, with balance (Saldo)
-- and volume (Wanderungsvolumen). Known errors named in the table footnotes (e.g. Essen 2014)
-- are attached, not corrected.
with m as (
    select *
    from {{ ref('stg_official__migration') }}
    where sex = 'insgesamt' and age_group = 'insgesamt'
),

wide as (
    select
        region_code, city_key, region_level, region_name, year, nationality, boundary,
        max(case when flow = 'zuzug' and scope = 'all' then moves end) as zuzuege,
        max(case when flow = 'fortzug' and scope = 'all' then moves end) as fortzuege,
        max(case when flow = 'zuzug' and scope = 'ausland' then moves end) as zuzuege_ausland,
        max(case when flow = 'fortzug' and scope = 'ausland' then moves end) as fortzuege_ausland,
        {{ string_agg_distinct('missing_reason', ', ') }} as missing_reasons,
        bool_or(rounded) as rounded,
        min(series_note) as series_note,
        {{ string_agg_distinct('definition_note', '; ') }} as definition_note,
        {{ string_agg_distinct('table_code', ', ') }} as table_codes,
        min(source) as source
    from m
    group by all
),

issues as (
    -- footnotes that name the region and the year (subject like 'Nordrhein-Westfalen (2014)')
    select w.region_code, w.year, {{ string_agg_distinct('n.note_text', ' | ') }} as known_issue_note
    from wide as w
    inner join {{ ref('stg_official__notes') }} as n
        on n.table_code like '12711%'
            and n.subject_year = w.year
            and n.note_text ilike ('%' || split_part(w.region_name, ',', 1) || '%')
    group by all
)

select
    w.region_code, w.city_key, w.region_level, w.region_name, w.year, w.nationality, w.boundary,
    w.zuzuege, w.fortzuege, w.zuzuege_ausland, w.fortzuege_ausland,
    w.zuzuege - w.fortzuege as saldo,
    w.zuzuege + w.fortzuege as volumen,
    w.missing_reasons, w.rounded, w.series_note,
    w.year in (2016, 2017) and w.source like 'genesis%' as migration_series_break,
    w.definition_note,
    i.known_issue_note,
    w.table_codes, w.source,
    'official' as figure_basis
from wide as w
left join issues as i on i.region_code = w.region_code and i.year = w.year
