{# The one spelling of a quarter: 'YYYY-Qn' (docs/architecture.md, "Shared vocabularies"). #}

{# Quarter key of a date, e.g. 2026-08-15 -> '2026-Q3'. #}
{% macro quarter_key(date_expr) -%}
    (year({{ date_expr }}) || '-Q' || quarter({{ date_expr }}))
{%- endmacro %}

{# Last day of a quarter key, e.g. '2026-Q3' -> 2026-09-30. #}
{% macro quarter_end(period_expr) -%}
    last_day(make_date(cast(left({{ period_expr }}, 4) as integer), cast(right({{ period_expr }}, 1) as integer) * 3, 1))
{%- endmacro %}
