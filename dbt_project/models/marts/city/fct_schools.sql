-- Pupils per city, census day, nationality group, school form, class type and district of
-- residence, with how many of them are not found in the register (no person with the same
-- pseudonym in the city's stock on the reference date nearest to the census, at most 92 days away).
-- Linking happens inside the city layer; only the counts leave it.
with pupils as (
    select * from {{ ref('stg_schule__pupils') }}
),

stock_dates as (
    select distinct city, stichtag from {{ ref('stg_bestand__persons') }}
),

-- the stock nearest to the census day, at most 92 days away (the earlier one on a tie)
matched_stock as (
    select
        p.city, p.stichtag,
        min_by(
            s.stichtag, abs({{ days_between('s.stichtag', 'p.stichtag') }}) * 2
            + case when s.stichtag > p.stichtag then 1 else 0 end
        ) as stock_date
    from (select distinct city, stichtag from pupils) as p
    inner join stock_dates as s
        on s.city = p.city and abs({{ days_between('s.stichtag', 'p.stichtag') }}) <= 92
    group by all
),

linked as (
    select
        p.*,
        ms.stock_date,
        exists(
            select 1 from {{ ref('stg_bestand__persons') }} as b
            where b.city = p.city and b.stichtag = ms.stock_date and b.person_pseudonym = p.schueler_pseudonym
        ) as in_register
    from pupils as p
    left join matched_stock as ms on ms.city = p.city and ms.stichtag = p.stichtag
)

select
    city,
    stichtag,
    max(stock_date) as register_stock_date,
    nationality_group,
    schulform as school_form,
    klassenart as class_type,
    residence_district,
    cast(count(*) as bigint) as pupils,
    cast({{ count_true('age between 6 and 14') }} as bigint) as pupils_6_14,
    -- NULL when no stock is near enough to link
    case when max(stock_date) is null then null else cast({{ count_true('not in_register') }} as bigint) end
        as pupils_not_in_register,
    case when max(stock_date) is null then null
        else cast({{ count_true('not in_register') }} as double) / count(*)
    end as share_not_in_register,
    'register' as basis
from linked
group by city, stichtag, nationality_group, schulform, klassenart, residence_district
