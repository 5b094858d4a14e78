{#
  District breakdown for planners: city x district x nationality group per quarter for the main
  indicators (population, inflow, outflow, net migration, moves into / out of the district,
  share registered 3+ years, SGB II rate). Same cell layout as fct_exchange_cells plus
  district_code; district 'INSGESAMT' is the city, group 'INSGESAMT' the district total.

  A district table is two-dimensional: groups add up to the district total, districts add up to
  the city figure (published in fct_exchange_cells). Disclosure control therefore runs in rounds:
  primary cells (register count of 1 or 2) and cells already withheld at city level are hidden;
  then in every round, within each family (shared counts) a hidden cell is hidden in every
  member, and along each row (district) and column (group) with a published total, a single
  hidden cell - or hidden cells holding 1 or 2 persons together - pulls the smallest non-zero
  open cell with it - never, for a row, a cell that is the only one of its column (it equals the
  published city figure; with none other left the district total goes instead). Tests check that
  no row or column is left with a lonely hidden cell.

  District levels: every row says its `district_level` (SGB II: the level the Agency delivers,
  from fct_sgb2 - Duisburg's Stadtbezirke; flows and stock: the register's level from
  dim_districts - Duisburg's Ortsteile; 'stadt' for INSGESAMT; 'unbekannt' for a code the
  gebiete file does not know on the quarter's end, e.g. UNBEKANNT). One indicator forms ONE table
  whose districts add up to the city: a code lying inside another published code of the same
  indicator (a mixed-level SGB II delivery) is left out, as fct_sgb2 leaves it out of the city
  total - published beside its parent, the parent minus its open siblings would reveal a hidden
  cell (differencing across levels), which the two margins below cannot see. Indicators at
  different levels share no count (ELB and registered 15-64 per Stadtbezirk; flows and stock of
  all ages per Ortsteil), so tables of different levels cannot be differenced against each other.
#}
{%- set rounds = 4 -%}
{#- the columns of a cell through the rounds of disclosure control (h: hidden) -#}
{%- set cell_cols = [
    'city', 'period', 'district_code', 'indicator_id', 'group_value', 'is_provisional',
    'numerator', 'denominator', 'value', 'suppression_family',
] -%}
{%- set round_cols = cell_cols + ['district_level', 'basis', 'is_primary', 'row_cross_single', 'col_cross_single'] -%}
with fluctuation as (
    select
        city, period_key as period, district_code, nationality_group as group_value,
        not is_complete as is_provisional,
        inflows, outflows, net_migration, moves_in, moves_out
    from {{ ref('fct_fluctuation') }}
    where period_type = 'quarter'
),

stock as (
    select
        city, {{ quarter_key('stichtag') }} as period, district_code,
        nationality_group as group_value, persons, persons_ge_3y, share_ge_3y
    from {{ ref('fct_dwell_time_stock') }}
    where stichtag = last_day(stichtag) and month(stichtag) in (3, 6, 9, 12)
),

sgb2 as (
    select *
    from (
        select *, max(month) over (partition by city, year(month), quarter(month)) as quarter_last_month
        from {{ ref('fct_sgb2') }}
    ) as months
    where month = quarter_last_month
),

cells as (
    select
        city, period, district_code, 'inflow' as indicator_id, group_value, is_provisional,
        cast(inflows as double) as numerator, cast(null as double) as denominator, cast(inflows as double) as value,
        'fluctuation' as suppression_family, cast(null as string) as delivered_level
    from fluctuation
    union all
    select
        city, period, district_code, 'outflow', group_value, is_provisional,
        outflows, null, outflows, 'fluctuation', null
    from fluctuation
    union all
    -- a balance is not a count of persons: hidden with its family, no primary rule of its own
    select
        city, period, district_code, 'net_migration', group_value, is_provisional,
        null, null, net_migration, 'fluctuation', null
    from fluctuation
    union all
    select
        city, period, district_code, 'moves_in', group_value, is_provisional,
        moves_in, null, moves_in, 'moves', null
    from fluctuation
    union all
    select
        city, period, district_code, 'moves_out', group_value, is_provisional,
        moves_out, null, moves_out, 'moves', null
    from fluctuation
    union all
    select
        city, period, district_code, 'population', group_value, false,
        persons, null, persons, 'stock', null
    from stock
    union all
    select
        city, period, district_code, 'dwell_3y_share', group_value, false,
        persons_ge_3y, persons, share_ge_3y, 'stock', null
    from stock
    union all
    -- the Agency's suppression stays: a suppressed elb enters as 1 so the primary rule hides it
    select
        city, {{ quarter_key('month') }}, district_code, 'sgb2_elb_rate',
        nationality_group, is_provisional,
        case when elb_suppressed then 1 else elb end, registered_15_64,
        case when elb_suppressed then null else sgb2_quota_pct / 100.0 end, 'sgb2', district_level
    from sgb2
),

hierarchy as (
    select
        city, district_code, nullif(parent_code, '') as parent_code, level,
        coalesce(valid_from, date '1900-01-01') as valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_districts') }}
),

-- the level of every row, from the gebiete file valid on the quarter's end
leveled as (
    select
        {%- for col in cell_cols %}
            c.{{ col }},
        {%- endfor %}
        case when c.district_code = 'INSGESAMT' then 'stadt'
            else coalesce(c.delivered_level, h.level, 'unbekannt')
        end as district_level,
        {{ quarter_end('c.period') }} as quarter_end
    from cells as c
    left join hierarchy as h
        on h.city = c.city and h.district_code = c.district_code
            and {{ quarter_end('c.period') }} between h.valid_from and h.valid_to
),

-- every code with its ancestors valid on the quarter's end (three levels up cover
-- Stadtbezirk > Ortsteil > Baublock; no recursive CTE: it clashes with the named windows below)
ancestor_chains as (
    select
        l.city, l.period, l.district_code,
        p1.parent_code as parent_1, p2.parent_code as parent_2, p3.parent_code as parent_3
    from leveled as l
    inner join hierarchy as p1
        on p1.city = l.city and p1.district_code = l.district_code
            and l.quarter_end between p1.valid_from and p1.valid_to
    left join hierarchy as p2
        on p2.city = l.city and p2.district_code = p1.parent_code
            and l.quarter_end between p2.valid_from and p2.valid_to
    left join hierarchy as p3
        on p3.city = l.city and p3.district_code = p2.parent_code
            and l.quarter_end between p3.valid_from and p3.valid_to
),

ancestors as (
    {%- for n in [1, 2, 3] %}
        select city, period, district_code, parent_{{ n }} as ancestor_code
        from ancestor_chains
        where parent_{{ n }} is not null
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

-- codes of an indicator that lie inside another code of the same indicator: left out
nested as (
    select distinct l.city, l.period, l.indicator_id, l.district_code
    from leveled as l
    inner join ancestors as a
        on a.city = l.city and a.period = l.period and a.district_code = l.district_code
    where exists (
            select 1 from leveled as outer_cell
            where outer_cell.city = l.city and outer_cell.period = l.period
                and outer_cell.indicator_id = l.indicator_id
                and outer_cell.district_code = a.ancestor_code
        )
),

one_table_per_indicator as (
    select
        {%- for col in cell_cols + ['district_level'] %}
            l.{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from leveled as l
    where not exists (
            select 1 from nested as n
            where n.city = l.city and n.period = l.period and n.indicator_id = l.indicator_id
                and n.district_code = l.district_code
        )
),

city_level as (
    select city, period, indicator_id, group_value, is_suppressed
    from {{ ref('fct_exchange_cells') }}
    where breakdown = 'nationality_group' and basis = 'register'
),

r0 as (
    select
        c.*,
        'register' as basis,
        {{ disclosure_is_small('c.numerator') }} or {{ disclosure_is_small('c.denominator') }} as is_primary,
        {{ disclosure_is_small('c.numerator') }} or {{ disclosure_is_small('c.denominator') }}
        or (c.district_code = 'INSGESAMT' and coalesce(cl.is_suppressed, false)) as h,
        -- a cell that is the only detail cell of its column (e.g. the one district with EU2
        -- persons) equals the published city figure: hiding it as a row's complement protects
        -- nothing and leaves the column with a lonely hidden cell - no candidate for rows;
        -- likewise the only group of a district is the last candidate for columns. Fixed by the
        -- cells present, so computed once (not per round: the window stack gets slow).
        count(case when c.district_code <> 'INSGESAMT' then 1 end)
            over (partition by c.city, c.period, c.indicator_id, c.group_value)
        = 1 as row_cross_single,
        count(case when c.group_value <> 'INSGESAMT' then 1 end)
            over (partition by c.city, c.period, c.indicator_id, c.district_code)
        = 1 as col_cross_single
    from one_table_per_indicator as c
    left join city_level as cl
        on cl.city = c.city and cl.period = c.period and cl.indicator_id = c.indicator_id
            and cl.group_value = c.group_value
),
{% for i in range(rounds) %}
    r{{ i }}_family as (
        select
            {{ round_cols | join(', ') }},
            bool_or(h) over (partition by city, period, suppression_family, district_code, group_value) as h
        from r{{ i }}
    ),
    {%- set directions = [
        ('row', 'district_code', "group_value = 'INSGESAMT'"),
        ('col', 'group_value', "district_code = 'INSGESAMT'"),
    ] %}
    {%- for dim, part, total in directions %}

        r{{ i }}_{{ dim }}_stats as (
            select
                *,
                -- CASE inside the window aggregates: Spark has no FILTER on window functions
                count(case when h and not ({{ total }}) then 1 end) over w as n_hidden,
                sum(case when h and not ({{ total }}) then numerator end) over w as sum_hidden,
                coalesce(bool_or(not h and ({{ total }})) over w, false) as total_open,
                {%- set open_cell = "not h and not (" ~ total ~ ")"
                    ~ (" and not row_cross_single" if dim == 'row' else "") %}
                count(case when {{ open_cell }} then 1 end) over w as n_open,
                row_number() over (
                    partition by city, period, indicator_id, {{ part }}
                    order by
                        (h or ({{ total }})), {{ dim }}_cross_single, coalesce(numerator, 0) = 0, numerator,
                        district_code, group_value
                ) as open_rank
            from {{ 'r' ~ i ~ '_family' if dim == 'row' else 'r' ~ i ~ '_row' }}
            window w as (partition by city, period, indicator_id, {{ part }})
        ),

        r{{ i }}_{{ dim }} as (
            select
                {{ round_cols | join(', ') }},
                h or (
                    total_open and (n_hidden = 1 or coalesce(sum_hidden between 1 and 2, false))
                    and (
                        (not ({{ total }}) and n_open > 0 and open_rank = 1)
                        {%- if dim == 'row' %}
                            -- no usable complement in the district: its total goes (the column of
                            -- district totals then pulls a complement of its own)
                            or (({{ total }}) and n_open = 0)
                        {%- endif %}
                    )
                ) as h
            from r{{ i }}_{{ dim }}_stats
        ),
    {%- endfor %}

    r{{ i + 1 }} as (
        select * from r{{ i }}_col
    ),
{% endfor %}
final as (
    select
        {{ round_cols | reject('in', ['row_cross_single', 'col_cross_single']) | join(', ') }},
        bool_or(h) over (partition by city, period, suppression_family, district_code, group_value) as h
    from r{{ rounds }}
)

select
    f.city,
    ci.country,
    f.period,
    f.district_code,
    f.district_level,
    f.indicator_id,
    'nationality_group' as breakdown,
    f.group_value,
    f.group_value = 'INSGESAMT' as is_total,
    f.basis,
    f.is_provisional,
    false as is_break,
    f.suppression_family,
    case when not f.h then f.numerator end as numerator,
    case when not f.h then f.denominator end as denominator,
    case when not f.h then f.value end as value,
    cast(null as double) as ci_lower,
    cast(null as double) as ci_upper,
    f.h as is_suppressed,
    case when f.is_primary then 'primary' when f.h then 'secondary' end as suppression_reason
from final as f
left join {{ ref('dim_cities') }} as ci on ci.city = f.city
