-- Old district codes mapped to their successors after a district reform.
-- A merge is recognised when a set of codes ending on day D adds up exactly (flaeche_ha) to one
-- code starting on D + 1; a one-to-one renaming is the special case of a set of one. An old code
-- whose area equals the sum of two or more new codes is a split: it cannot be mapped and is flagged.
-- Only subsets of up to 4 codes are searched (reforms merge or split few areas at a time).
with recursive ended as (
    select city, bezirk_code, ebene, gueltig_bis, flaeche_ha
    from {{ ref('stg_gebiete__districts') }}
    where gueltig_bis is not null
),

started as (
    select city, bezirk_code, ebene, gueltig_ab, flaeche_ha
    from {{ ref('stg_gebiete__districts') }}
),

-- splits first: an old code whose area equals the sum of >= 2 new codes starting the next day
split_candidates as (
    select
        e.city, e.bezirk_code as old_code, e.flaeche_ha as old_area,
        s.bezirk_code as new_code, s.flaeche_ha as new_area
    from ended as e
    inner join started as s
        on s.city = e.city and s.ebene = e.ebene and s.gueltig_ab = e.gueltig_bis + 1
),

split_subsets as (
    select city, old_code, old_area, 1 as n_parts, new_code as last_code, new_area as area
    from split_candidates
    union all
    select s.city, s.old_code, s.old_area, s.n_parts + 1, c.new_code, s.area + c.new_area
    from split_subsets as s
    inner join split_candidates as c
        on c.city = s.city and c.old_code = s.old_code and c.new_code > s.last_code
    where s.n_parts < 4 and s.area + c.new_area <= s.old_area + 1e-6
),

split_sets as (
    select distinct city, old_code
    from split_subsets
    where n_parts >= 2 and abs(area - old_area) < 1e-6
),

-- candidate old codes for a new code: same city and level, ending the day before it starts,
-- not recognised as split
candidates as (
    select
        s.city, s.bezirk_code as new_code, s.flaeche_ha as new_area,
        e.bezirk_code as old_code, e.flaeche_ha as old_area
    from started as s
    inner join ended as e
        on e.city = s.city and e.ebene = s.ebene and e.gueltig_bis + 1 = s.gueltig_ab
    where not exists (
            select 1 from split_sets as sp
            where sp.city = e.city and sp.old_code = e.bezirk_code
        )
),

subsets as (
    select city, new_code, new_area, [old_code] as old_codes, old_code as last_code, old_area as area
    from candidates
    union all
    select s.city, s.new_code, s.new_area, list_append(s.old_codes, c.old_code), c.old_code, s.area + c.old_area
    from subsets as s
    inner join candidates as c
        on c.city = s.city and c.new_code = s.new_code and c.old_code > s.last_code
    where len(s.old_codes) < 4 and s.area + c.old_area <= s.new_area + 1e-6
),

exact_subsets as (
    select city, new_code, old_codes
    from subsets
    where abs(area - new_area) < 1e-6
),

-- a new code is mapped only when exactly one set of old codes explains it
unambiguous as (
    select city, new_code, any_value(old_codes) as old_codes
    from exact_subsets
    group by city, new_code
    having count(*) = 1
),

merge_pairs as (
    select city, new_code, unnest(old_codes) as old_code, len(old_codes) as n_old
    from unambiguous
),

-- old codes claimed by more than one new code cannot be mapped either
claims as (
    select city, old_code, count(*) as n_claims
    from merge_pairs
    group by city, old_code
)

select
    e.city,
    e.bezirk_code as old_code,
    e.gueltig_bis as old_valid_to,
    case when sp.old_code is null and cl.n_claims = 1 then mp.new_code end as new_code,
    case
        when sp.old_code is not null then 'split'
        when cl.n_claims = 1 and mp.n_old = 1 then 'renamed'
        when cl.n_claims = 1 then 'merged'
        when cl.n_claims > 1 then 'ambiguous'
        else 'unmapped'
    end as mapping_kind
from ended as e
left join split_sets as sp on sp.city = e.city and sp.old_code = e.bezirk_code
left join claims as cl on cl.city = e.city and cl.old_code = e.bezirk_code
left join merge_pairs as mp
    on mp.city = e.city and mp.old_code = e.bezirk_code and cl.n_claims = 1
