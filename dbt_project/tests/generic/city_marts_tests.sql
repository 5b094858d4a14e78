{# Generic data tests of the city layer (no dbt packages offline). Each returns the failing rows. #}

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
