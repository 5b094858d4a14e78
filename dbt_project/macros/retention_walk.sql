{#
  The disclosure walk along each retention curve (models/exchange/fct_exchange_retention_curves.sql):
  the CTE `walk` holding every row of `points` (one per curve and grid point k = 1, 2, ...) and
  is_published, decided point by point: a point is published when its risk set is at least 3 and
  the departures since the last published point (last) are 0 or at least 3; a point withheld keeps
  last, so its departures count towards the next point. The rule needs the previous decision, a
  recursion, which Spark 4.0 does not run (WITH RECURSIVE parses only).
#}
{#- sqlfluff renders these bodies without the model around them and misplaces the loops' indents -#}
-- noqa: disable=LT02
{% macro retention_walk(points, n_points) -%}
    {{ return(adapter.dispatch('retention_walk', 'migration_warehouse')(points, n_points)) }}
{%- endmacro %}

{#- DuckDB: the recursion unrolled over the grid's points (k is at most n_points): walk_i adds step
    i's decision (pub_i) and the departures at the last published point (last_i) to each curve's
    row; a curve without a point i keeps its last_i. One join per step (a union of per-step chains
    would be quadratic). The SQL this model ran before the engines were two. -#}
{% macro duckdb__retention_walk(points, n_points) -%}
walk_0 as (
    select city, nationality_group, arrival_year, 0 as last_0
    from {{ points }}
    where k = 1
),
{% for i in range(1, n_points + 1) %}
    walk_{{ i }} as (
        select
            w.*,
            p.n_at_risk >= 3 and (
                p.left_cumulative - w.last_{{ i - 1 }} = 0 or p.left_cumulative - w.last_{{ i - 1 }} >= 3
            ) as pub_{{ i }},
            case when p.n_at_risk >= 3 and (
                        p.left_cumulative - w.last_{{ i - 1 }} = 0 or p.left_cumulative - w.last_{{ i - 1 }} >= 3
                    )
                    then p.left_cumulative
                else w.last_{{ i - 1 }}
            end as last_{{ i }}
        from walk_{{ i - 1 }} as w
        left join {{ points }} as p
            on p.city = w.city and p.nationality_group = w.nationality_group
                and p.arrival_year = w.arrival_year and p.k = {{ i }}
    ),
{% endfor %}
walk as (
    select
        p.*,
        case p.k
            {%- for i in range(1, n_points + 1) %}
                when {{ i }} then w.pub_{{ i }}
            {%- endfor %}
        end as is_published
    from {{ points }} as p
    inner join walk_{{ n_points }} as w
        on w.city = p.city and w.nationality_group = p.nationality_group and w.arrival_year = p.arrival_year
)
{%- endmacro %}

{#- Spark: one fold per curve over its points sorted by k (aggregate over the sorted list; the
    struct sorts by k first), carrying last and the list of decisions; point k reads the k-th.
    The unrolled chain does not finish on Spark: Spark inlines a CTE at every use, so `points`
    (a grid x curve join with aggregates) was planned and computed once per step, 34 times. Here
    it is read twice. The same decisions: NULL comparisons stay NULL (not published) and keep
    last, as the case of the unrolled version does. -#}
{% macro spark__retention_walk(points, n_points) -%}
walk_decisions as (
    select
        city, nationality_group, arrival_year,
        aggregate(
            array_sort(collect_list(struct(k, n_at_risk, cast(left_cumulative as bigint) as left_cumulative))),
            named_struct('last_left', cast(0 as bigint), 'pubs', cast(array() as array<boolean>)),
            (acc, p) -> named_struct(
                'last_left',
                case when p.n_at_risk >= 3 and (
                            p.left_cumulative - acc.last_left = 0 or p.left_cumulative - acc.last_left >= 3
                        )
                        then p.left_cumulative
                    else acc.last_left
                end,
                'pubs',
                concat(acc.pubs, array(
                    p.n_at_risk >= 3 and (p.left_cumulative - acc.last_left = 0 or p.left_cumulative - acc.last_left >= 3)
                ))
            )
        ).pubs as pubs
    from {{ points }}
    group by city, nationality_group, arrival_year
),

walk as (
    select
        p.*,
        element_at(w.pubs, cast(p.k as int)) as is_published
    from {{ points }} as p
    inner join walk_decisions as w
        on w.city = p.city and w.nationality_group = p.nationality_group and w.arrival_year = p.arrival_year
)
{%- endmacro %}
