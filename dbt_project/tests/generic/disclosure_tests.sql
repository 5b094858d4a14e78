{#
  Generic tests of the disclosure rules (owned by the exchange layer). They return the
  offending rows, so an empty result is the only pass.
#}

{# No register-basis count of 1 or 2 is published (rounded either way, see disclosure_is_small). #}
{% test disclosure_no_small_counts(model) %}
select *
from {{ model }}
where coalesce(basis = 'register', true)
  and not is_suppressed
  and ({{ disclosure_is_small('numerator') }} or {{ disclosure_is_small('denominator') }})
{% endtest %}

{# No group with a published total hides exactly one detail cell (recoverable by subtraction). #}
{# `total_expr` marks the total of the group (two-dimensional tables: the margin of the other dimension). #}
{# `total_published_elsewhere`: the group's total is published in another table (e.g. population), so
   the group counts as having a published total. #}
{# `cell_expr`: what identifies a cell when one cell has several rows (e.g. one per method). #}
{% test disclosure_no_lonely_suppression(
    model, group_cols, total_expr='is_total', total_published_elsewhere=false, cell_expr=none
) %}
select {{ group_cols | join(', ') }}
from {{ model }}
group by {{ group_cols | join(', ') }}
having {% if total_published_elsewhere %}true{% else %}count(*) filter (where ({{ total_expr }}) and not is_suppressed) > 0{% endif %}
   and count({% if cell_expr %}distinct {{ cell_expr }}{% else %}*{% endif %}) filter (where not ({{ total_expr }}) and is_suppressed) = 1

{% endtest %}

{# Values counting 1 or 2 persons (disclosure_is_small) in the named columns of rows that are not suppressed. #}
{% test disclosure_no_small_values(model, columns, suppressed_expr='is_suppressed') %}
select *
from {{ model }}
where not coalesce({{ suppressed_expr }}, false)
  and ({% for c in columns %}{{ disclosure_is_small(c) }}{{ ' or ' if not loop.last }}{% endfor %})
{% endtest %}

{# Suppressed cells carry no number at all (NULL, never 0). #}
{% test disclosure_suppressed_cells_empty(model) %}
select *
from {{ model }}
where is_suppressed
  and (numerator is not null or denominator is not null or value is not null
       or ci_lower is not null or ci_upper is not null)
{% endtest %}

{# District cells: no indicator is published at two nested levels (a Stadtbezirk beside one of
   its Ortsteile): the parent minus its open children would reveal a hidden child. Returns the
   inner codes; the hierarchy is dim_districts on the quarter's end. #}
{% test disclosure_no_nested_districts(model) %}
with cells as (
    select distinct city, period, indicator_id, district_code,
           {{ quarter_end('period') }} as quarter_end
    from {{ model }}
    where district_code <> 'INSGESAMT'
),

parents as (
    select city, district_code, nullif(parent_code, '') as parent_code,
           coalesce(valid_from, date '1900-01-01') as valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_districts') }}
)

-- two levels of ancestry cover Stadtbezirk > Ortsteil > Baublock
select c.city, c.period, c.indicator_id, c.district_code, o.district_code as published_ancestor
from cells as c
join parents as p1
  on p1.city = c.city and p1.district_code = c.district_code and c.quarter_end between p1.valid_from and p1.valid_to
left join parents as p2
  on p2.city = c.city and p2.district_code = p1.parent_code and c.quarter_end between p2.valid_from and p2.valid_to
join cells as o
  on o.city = c.city and o.period = c.period and o.indicator_id = c.indicator_id
 and o.district_code in (p1.parent_code, p2.parent_code)
{% endtest %}
