{# Generic data tests of the city layer (no dbt packages offline). Each returns the failing rows. #}

{# No two rows share the combination of key columns (NULLs compare equal). #}
{# Rows whose combination of `columns` occurs more than once. Grouping the stock's 147 M rows by
   their string keys does not fit a 2 GB memory limit, so candidates are found by a 64-bit hash
   of the key first; only the candidates' rows are then grouped by the columns themselves, which
   keeps the test exact (a hash collision is not reported). #}
{% test unique_combination(model, columns) %}
with candidates as (
    select hash({{ columns | join(', ') }}) as key_hash
    from {{ model }}
    group by 1
    having count(*) > 1
)
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
where hash({{ columns | join(', ') }}) in (select key_hash from candidates)
group by all
having count(*) > 1
{% endtest %}

{# A rate equals factor * numerator / denominator; it is NULL when the denominator is NULL or 0.
   Tolerance is relative (1e-9) so large rates do not fail on floating point. #}
{% test rate_consistent(model, column_name, numerator, denominator, factor=1) %}
select *
from {{ model }}
where
    case
        when {{ denominator }} is null or {{ denominator }} = 0 or {{ numerator }} is null
            then {{ column_name }} is not null
        else {{ column_name }} is null
            or abs({{ column_name }} - {{ factor }} * ({{ numerator }})::double / ({{ denominator }}))
               > 1e-9 * greatest(1, abs({{ column_name }}))
    end
{% endtest %}

{# Values lie in [min_value, max_value] (either bound optional); NULLs pass. #}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
select *
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {% if min_value is not none %}or {{ column_name }} < {{ min_value }}{% endif %}
        {% if max_value is not none %}or {{ column_name }} > {{ max_value }}{% endif %}
    )
{% endtest %}

{# The expression holds on every row (e.g. a sum of parts equals its total). #}
{% test expression_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
