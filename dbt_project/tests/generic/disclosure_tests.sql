{#
  Generic tests of the disclosure rules (owned by the exchange layer). They return the
  offending rows, so an empty result is the only pass.
#}

{# No register-basis count of 1 or 2 is published. #}
{% test disclosure_no_small_counts(model) %}
select *
from {{ model }}
where coalesce(basis = 'register', true)
  and not is_suppressed
  and (abs(round(numerator)) between 1 and 2 or abs(round(denominator)) between 1 and 2)
{% endtest %}

{# No group with a published total hides exactly one detail cell (recoverable by subtraction). #}
{# `total_expr` marks the total of the group (two-dimensional tables: the margin of the other dimension). #}
{# `total_published_elsewhere`: the group's total is published in another table (e.g. population), so
   the group counts as having a published total. #}
{# `cell_expr`: what identifies a cell when one cell has several rows (e.g. one per method). #}
{% test disclosure_no_lonely_suppression(model, group_cols, total_expr='is_total', total_published_elsewhere=false, cell_expr=none) %}
select {{ group_cols | join(', ') }}
from {{ model }}
group by {{ group_cols | join(', ') }}
having {% if total_published_elsewhere %}true{% else %}count(*) filter (where ({{ total_expr }}) and not is_suppressed) > 0{% endif %}
   and count({% if cell_expr %}distinct {{ cell_expr }}{% else %}*{% endif %}) filter (where not ({{ total_expr }}) and is_suppressed) = 1
{% endtest %}

{# Integer-valued counts of 1 or 2 in the named columns of rows that are not suppressed. #}
{% test disclosure_no_small_values(model, columns, suppressed_expr='is_suppressed') %}
select *
from {{ model }}
where not coalesce({{ suppressed_expr }}, false)
  and ({% for c in columns %}coalesce({{ c }} between 1 and 2, false){{ ' or ' if not loop.last }}{% endfor %})
{% endtest %}

{# Suppressed cells carry no number at all (NULL, never 0). #}
{% test disclosure_suppressed_cells_empty(model) %}
select *
from {{ model }}
where is_suppressed
  and (numerator is not null or denominator is not null or value is not null
       or ci_lower is not null or ci_upper is not null)
{% endtest %}

{# A combination of columns is unique (no dbt_utils offline). #}
{% test alliance_unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
