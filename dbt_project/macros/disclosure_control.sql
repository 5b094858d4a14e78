{#
  Disclosure control for aggregated cells that leave the city layer.

  Input: a relation in the exchange cell layout (see models/exchange/_exchange__models.yml):
  one row per cell, grouped into "linear relations" by `group_cols` (e.g. city, period,
  indicator, breakdown), where the row with `is_total = true` is the published total of the
  other rows of the group.

  Rules (register basis only - official figures are already published by the statistical office):
  - primary:   a cell whose numerator or denominator counts 1 or 2 persons is suppressed.
               0 is published (an empty cell reveals nobody).
  - secondary: in a group whose total is published, a single suppressed cell could be recovered
               as total minus the others (and several primary cells holding 1 or 2 persons
               together reveal that sum), so a further cell is suppressed with them - the smallest
               non-zero open cell (the least information lost); if there is no open cell, the
               total itself is suppressed. The same holds for denominators (hidden ones of 1 or 2
               together). A total counts as published when the group's own total row is open OR
               `total_published_elsewhere` (e.g. the registered population beside Dunkelziffer
               estimates: even when the total of the estimates is itself a primary 1 or 2, the
               registered count of a single withheld age band is population minus the others).
  - linked: indicators of one `suppression_family` are computed from the same counts (inflow,
    outflow, net migration, their rates, the AVA share ...): publishing one of them could reopen a
    hidden cell of another, so a group value hidden in one member is hidden in every member, and
    a hidden total is hidden in every breakdown of every member. Each member's breakdown hides
    0 or at least 2 cells, so the union does as well.
  Suppressed cells lose numerator, denominator, value and interval (never 0: NULL), and carry
  is_suppressed = true with suppression_reason = 'primary' | 'secondary' | 'linked'.
#}
{# A value that counts 1 or 2 persons: by magnitude, rounded either way (an estimate of -1 or 1.4
   persons is as telling as a count; 0.5 and 2.5 are caught whether half rounds up (DuckDB) or to
   even (Polars) - an average stock of 2.5 beside a published stock of 3 reveals a stock of 2).
   orchestration/exchange_tables.py (_small) applies the same bounds to the package. #}
{% macro disclosure_is_small(expr) -%}
    coalesce(abs({{ expr }}) between 0.5 and 2.5, false)
{%- endmacro %}

{% macro disclosure_suppress(
    relation, columns, group_cols, family_cols, total_scope_cols, cell_col='group_value', total_published_elsewhere=false
) -%}
{#- columns: the relation's columns passed through unchanged (all but numerator, denominator,
    value, ci_lower and ci_upper, which follow them, then is_suppressed and suppression_reason);
    group_cols: one breakdown of one indicator (a linear relation: cells add up to the total);
    family_cols: the same cell across the members of a suppression family;
    total_scope_cols: every total of a family (all breakdowns);
    total_published_elsewhere: the group's total (or the total of its denominators, e.g. the
    registered population beside Dunkelziffer estimates) is published in another table, so the
    group counts as having an open total even when its own total row is primary or hidden -#}
    {%- set g = group_cols | join(', ') -%}
    {%- set f = family_cols | join(', ') -%}
    {%- set t = total_scope_cols | join(', ') -%}
with dc_cells as (
    select
        *,
        coalesce(basis = 'register', true)
            and ({{ disclosure_is_small('numerator') }} or {{ disclosure_is_small('denominator') }}) as dc_primary
    from {{ relation }}
),

dc_groups as (
    select
        *,
        -- CASE inside the window aggregates: Spark has no FILTER on window functions
        count(case when dc_primary and not is_total then 1 end) over (partition by {{ g }}) as dc_n_primary_cells,
        sum(case when dc_primary and not is_total then numerator end) over (partition by {{ g }}) as dc_sum_primary,
        sum(case when dc_primary and not is_total then denominator end) over (partition by {{ g }}) as dc_sum_primary_den,
        count(case when not dc_primary and not is_total then 1 end) over (partition by {{ g }}) as dc_n_open_cells,
        {% if total_published_elsewhere -%}
        cast(1 as bigint) as dc_n_open_totals,
        {%- else -%}
        count(case when is_total and not dc_primary then 1 end) over (partition by {{ g }}) as dc_n_open_totals,
    {%- endif %}
        row_number() over (
            partition by {{ g }}
            order by
                (dc_primary or is_total),           -- open detail cells first
                coalesce(numerator, 0) = 0,         -- prefer a non-zero complement
                numerator,
                coalesce(denominator, 0) = 0,       -- all numerators 0: a non-zero denominator still hides
                denominator,
                {{ cell_col }}
        ) as dc_complement_rank
    from dc_cells
),

dc_secondary as (
    select
        *,
        -- exactly one hidden detail cell next to a published total: recoverable by subtraction;
        -- several hidden cells that hold 1 or 2 persons together: their sum is revealed as well
        (dc_n_open_totals > 0
         and (dc_n_primary_cells = 1 or coalesce(dc_sum_primary between 1 and 2, false)
              or coalesce(dc_sum_primary_den between 1 and 2, false))) as dc_needs_complement
    from dc_groups
),

dc_flagged as (
    select
        *,
        case
            when dc_primary then 'primary'
            when dc_needs_complement and not is_total and dc_n_open_cells > 0
                 and dc_complement_rank = 1 then 'secondary'
            when dc_needs_complement and is_total and dc_n_open_cells = 0 then 'secondary'
        end as dc_reason_local
    from dc_secondary
),

dc_linked as (
    select
        *,
        -- the same cell hidden in another member of the family
        bool_or(dc_reason_local is not null) over (partition by {{ f }}) as dc_hidden_in_family,
        -- a total hidden in one breakdown (or member) stays hidden in all of them
        bool_or(is_total and dc_reason_local is not null) over (partition by {{ t }}) as dc_total_hidden_somewhere
    from dc_flagged
),

dc_final as (
    select
        *,
        coalesce(
            dc_reason_local,
            case when dc_hidden_in_family or (is_total and dc_total_hidden_somewhere) then 'linked' end
        ) as suppression_reason
    from dc_linked
)

select
    {{ columns | join(', ') }},
    case when suppression_reason is null then numerator end as numerator,
    case when suppression_reason is null then denominator end as denominator,
    case when suppression_reason is null then value end as value,
    case when suppression_reason is null then ci_lower end as ci_lower,
    case when suppression_reason is null then ci_upper end as ci_upper,
    suppression_reason is not null as is_suppressed,
    suppression_reason
from dc_final
{%- endmacro %}
