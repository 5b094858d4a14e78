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
  and (numerator between 1 and 2 or denominator between 1 and 2)
{% endtest %}

{# No group with a published total hides exactly one detail cell (recoverable by subtraction). #}
{% test disclosure_no_lonely_suppression(model, group_cols) %}
select {{ group_cols | join(', ') }}
from {{ model }}
group by {{ group_cols | join(', ') }}
having count(*) filter (where is_total and not is_suppressed) > 0
   and count(*) filter (where not is_total and is_suppressed) = 1
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
