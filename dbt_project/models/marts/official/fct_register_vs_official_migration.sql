-- Register basis against official basis per city, year and flow, where either exists.
-- Register definition closest to the official "Zu-/Fortzüge über die Gemeindegrenzen":
--   zuzuege   = ZU_AUSLAND + ZU_INLAND + ZU_UNBEKANNT   (registration of a main residence from outside)
--   fortzuege = FO_AUSLAND + FO_INLAND + FO_UNBEKANNT + AVA (ex-officio deregistrations count as
--               departures to an unknown destination in the official statistics, too)
--   counted by the year of the registration date (meldedatum), as the statistics process them.
-- Status changes between secondary and main residence (STATUS_NW_HW / STATUS_HW_NW) cross no
-- municipal boundary on the day they are registered; they are shown beside, not added.
-- comparison_status says whether both bases exist; the two are never summed or blended.
with register as (
    select
        c.official_key as city_key, e.city, year(e.registration_month) as year,
        count(distinct e.registration_month) as register_months,
        count(case when e.ereignis_art in ('ZU_AUSLAND', 'ZU_INLAND', 'ZU_UNBEKANNT') then 1 end) as zuzuege,
        count(case when e.ereignis_art in ('FO_AUSLAND', 'FO_INLAND', 'FO_UNBEKANNT', 'AVA') then 1 end) as fortzuege,
        count(case when e.ereignis_art = 'ZU_AUSLAND' then 1 end) as zuzuege_ausland,
        count(case when e.ereignis_art = 'FO_AUSLAND' then 1 end) as fortzuege_ausland,
        count(case when e.ereignis_art = 'STATUS_NW_HW' then 1 end) as status_nw_hw,
        count(case when e.ereignis_art = 'STATUS_HW_NW' then 1 end) as status_hw_nw
    from {{ ref('stg_meldewesen__events') }} as e
    inner join {{ ref('dim_cities') }} as c on c.city = e.city
    group by all
),

register_long as (
    select * from register
    unpivot (register_value for flow in (zuzuege, fortzuege, zuzuege_ausland, fortzuege_ausland))
),

official as (
    select
        city_key, year, zuzuege, fortzuege, zuzuege_ausland, fortzuege_ausland, known_issue_note,
        definition_note
    from {{ ref('fct_official_migration') }}
    where nationality = 'insgesamt' and boundary = 'gemeinde' and city_key is not null
),

official_long as (
    select * from official
    unpivot (official_value for flow in (zuzuege, fortzuege, zuzuege_ausland, fortzuege_ausland))
),

cities as (
    select city, city_name, official_key, country from {{ ref('dim_cities') }}
)

select
    coalesce(r.city, c.city) as city,
    c.city_name,
    coalesce(r.city_key, o.city_key) as city_key,
    coalesce(r.year, o.year) as year,
    coalesce(r.flow, o.flow) as flow,
    r.register_value,
    r.register_months,
    r.register_months = 12 as register_year_complete,
    case when coalesce(r.flow, o.flow) in ('zuzuege', 'zuzuege_ausland') then r.status_nw_hw
        else r.status_hw_nw
    end as register_status_changes,
    o.official_value,
    r.register_value - o.official_value as difference,
    cast(r.register_value as double) / nullif(o.official_value, 0) as ratio_register_to_official,
    case
        when r.register_value is not null and o.official_value is not null then 'both'
        when r.register_value is not null then 'register_only'
        else 'official_only'
    end as comparison_status,
    case
        when r.register_value is not null and o.official_value is not null
            then
                'Both bases exist. They differ because the register counts registration events as the city '
                || 'records them (its own registration rules and deadlines, late and ex-officio entries, '
                || 'dated by registration), while the official statistics count cases across the municipal '
                || 'boundary after plausibility checks, without moves inside the city (Ortsumzüge), and '
                || 'count cases, not persons. Status changes are shown beside, not added.'
        when r.register_value is not null
            then
                'Register basis only: no official figure for this year has been loaded (not yet published, '
                || 'or the official table is not in the landing folder).'
        else 'Official basis only: no register deliveries for this year.'
    end as explanation,
    o.known_issue_note as official_known_issue,
    o.definition_note as official_definition
from register_long as r
full outer join official_long as o
    on o.city_key = r.city_key and o.year = r.year and o.flow = r.flow
left join cities as c on c.official_key = coalesce(r.city_key, o.city_key)
-- official rows only for the alliance's cities
where coalesce(r.city_key, c.official_key) is not null
