-- Old district codes mapped to their successors after a district reform.
-- A merge is recognised when a set of codes ending on day D adds up exactly (flaeche_ha) to one
-- code starting on D + 1; a one-to-one renaming is the special case of a set of one. An old code
-- whose area equals the sum of two or more new codes is a split: it cannot be mapped and is flagged.
-- Only subsets of up to 4 codes are searched (reforms merge or split few areas at a time): the
-- subsets of k codes are built from those of k - 1, one CTE per size (no recursive CTE: Spark 4.0
-- does not run one), adding codes in ascending order so that every set is found once. The areas
-- are added in the same order as the recursive CTE did, so the sums are the same doubles.
with ended as (
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

split_subsets_1 as (
    select city, old_code, old_area, new_code as last_code, new_area as area
    from split_candidates
),

split_subsets_2 as (
    select s.city, s.old_code, s.old_area, c.new_code as last_code, s.area + c.new_area as area
    from split_subsets_1 as s
    inner join split_candidates as c
        on c.city = s.city and c.old_code = s.old_code and c.new_code > s.last_code
    where s.area + c.new_area <= s.old_area + 1e-6
),

split_subsets_3 as (
    select s.city, s.old_code, s.old_area, c.new_code as last_code, s.area + c.new_area as area
    from split_subsets_2 as s
    inner join split_candidates as c
        on c.city = s.city and c.old_code = s.old_code and c.new_code > s.last_code
    where s.area + c.new_area <= s.old_area + 1e-6
),

split_subsets_4 as (
    select s.city, s.old_code, s.old_area, c.new_code as last_code, s.area + c.new_area as area
    from split_subsets_3 as s
    inner join split_candidates as c
        on c.city = s.city and c.old_code = s.old_code and c.new_code > s.last_code
    where s.area + c.new_area <= s.old_area + 1e-6
),

split_sets as (
    select city, old_code
    from split_subsets_2
    where abs(area - old_area) < 1e-6
    union
    select city, old_code
    from split_subsets_3
    where abs(area - old_area) < 1e-6
    union
    select city, old_code
    from split_subsets_4
    where abs(area - old_area) < 1e-6
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

-- sets of k old codes (old_code_1 < ... < old_code_k) whose areas add up to at most the new one
subsets_1 as (
    select city, new_code, new_area, old_code as old_code_1, old_area as area
    from candidates
),

subsets_2 as (
    select
        s.city, s.new_code, s.new_area, s.old_code_1, c.old_code as old_code_2,
        s.area + c.old_area as area
    from subsets_1 as s
    inner join candidates as c
        on c.city = s.city and c.new_code = s.new_code and c.old_code > s.old_code_1
    where s.area + c.old_area <= s.new_area + 1e-6
),

subsets_3 as (
    select
        s.city, s.new_code, s.new_area, s.old_code_1, s.old_code_2, c.old_code as old_code_3,
        s.area + c.old_area as area
    from subsets_2 as s
    inner join candidates as c
        on c.city = s.city and c.new_code = s.new_code and c.old_code > s.old_code_2
    where s.area + c.old_area <= s.new_area + 1e-6
),

subsets_4 as (
    select
        s.city, s.new_code, s.new_area, s.old_code_1, s.old_code_2, s.old_code_3, c.old_code as old_code_4,
        s.area + c.old_area as area
    from subsets_3 as s
    inner join candidates as c
        on c.city = s.city and c.new_code = s.new_code and c.old_code > s.old_code_3
    where s.area + c.old_area <= s.new_area + 1e-6
),

exact_subsets as (
    select
        city, new_code, 1 as n_old, old_code_1,
        cast(null as string) as old_code_2, cast(null as string) as old_code_3, cast(null as string) as old_code_4
    from subsets_1
    where abs(area - new_area) < 1e-6
    union all
    select
        city, new_code, 2 as n_old, old_code_1, old_code_2,
        cast(null as string) as old_code_3, cast(null as string) as old_code_4
    from subsets_2
    where abs(area - new_area) < 1e-6
    union all
    select city, new_code, 3 as n_old, old_code_1, old_code_2, old_code_3, cast(null as string) as old_code_4
    from subsets_3
    where abs(area - new_area) < 1e-6
    union all
    select city, new_code, 4 as n_old, old_code_1, old_code_2, old_code_3, old_code_4
    from subsets_4
    where abs(area - new_area) < 1e-6
),

-- a new code is mapped only when exactly one set of old codes explains it
unambiguous as (
    select
        city, new_code, max(n_old) as n_old,
        max(old_code_1) as old_code_1, max(old_code_2) as old_code_2,
        max(old_code_3) as old_code_3, max(old_code_4) as old_code_4
    from exact_subsets
    group by city, new_code
    having count(*) = 1
),

-- one row per old code of a mapped set; Spark inlines every CTE where it is used, so each of these
-- is read once (unpivot instead of a union per position, a window instead of a second pass)
merge_pairs as (
    select city, new_code, n_old, old_code
    from unambiguous
    unpivot (old_code for code_position in (old_code_1, old_code_2, old_code_3, old_code_4))
),

-- old codes claimed by more than one new code cannot be mapped either
claims as (
    select
        city, new_code, n_old, old_code,
        count(*) over (partition by city, old_code) as n_claims,
        row_number() over (partition by city, old_code order by new_code) as claim_rank
    from merge_pairs
)

select
    e.city,
    e.bezirk_code as old_code,
    e.gueltig_bis as old_valid_to,
    case when sp.old_code is null and cl.n_claims = 1 then cl.new_code end as new_code,
    case
        when sp.old_code is not null then 'split'
        when cl.n_claims = 1 and cl.n_old = 1 then 'renamed'
        when cl.n_claims = 1 then 'merged'
        when cl.n_claims > 1 then 'ambiguous'
        else 'unmapped'
    end as mapping_kind
from ended as e
left join split_sets as sp on sp.city = e.city and sp.old_code = e.bezirk_code
left join claims as cl on cl.city = e.city and cl.old_code = e.bezirk_code and cl.claim_rank = 1
