{#
  Adapter-dispatched helpers of the exchange and alliance layers (issue #18), beside the project's
  common ones in macros/portable.sql. Each duckdb__ version renders the SQL these layers used
  before (the DuckDB tables stay bit for bit); the spark__ version has the same meaning.
#}

{# A list literal of SQL expressions: DuckDB's [a, b], Spark's array(a, b). #}
{% macro sql_array(items) -%}
    {{ return(adapter.dispatch('sql_array', 'migration_warehouse')(items)) }}
{%- endmacro %}
{% macro duckdb__sql_array(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}
{% macro spark__sql_array(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{# Every element of a list of strings trimmed (DuckDB list_transform, Spark transform). #}
{% macro trim_elements(list_expr) -%}
    {{ return(adapter.dispatch('trim_elements', 'migration_warehouse')(list_expr)) }}
{%- endmacro %}
{% macro duckdb__trim_elements(list_expr) -%}
    list_transform({{ list_expr }}, x -> trim(x))
{%- endmacro %}
{% macro spark__trim_elements(list_expr) -%}
    transform({{ list_expr }}, x -> trim(x))
{%- endmacro %}

{# Sum of a group's doubles in a fixed order (NULLs skipped, NULL when none): a double sum in
   hash order differs in the last bit from run to run. DuckDB sums the ordered list; Spark folds
   the values sorted by the order key (struct sort: key first). #}
{% macro ordered_sum(value_expr, order_expr) -%}
    {{ return(adapter.dispatch('ordered_sum', 'migration_warehouse')(value_expr, order_expr)) }}
{%- endmacro %}
{% macro duckdb__ordered_sum(value_expr, order_expr) -%}
    list_sum(list({{ value_expr }} order by {{ order_expr }}))
{%- endmacro %}
{% macro spark__ordered_sum(value_expr, order_expr) -%}
    case when count({{ value_expr }}) > 0 then aggregate(
        transform(
            array_sort(collect_list(case when {{ value_expr }} is not null
                then struct({{ order_expr }} as k, cast({{ value_expr }} as double) as v) end)),
            s -> s.v
        ),
        cast(0 as double),
        (acc, v) -> acc + v
    ) end
{%- endmacro %}

{# A string that matches a whole regular expression (anchor it with ^...$). Write [0-9], not \d:
   Spark unescapes backslashes in string literals. #}
{% macro regexp_matches_all(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches_all', 'migration_warehouse')(expr, pattern)) }}
{%- endmacro %}
{% macro duckdb__regexp_matches_all(expr, pattern) -%}
    {{ expr }} ~ '{{ pattern }}'
{%- endmacro %}
{% macro spark__regexp_matches_all(expr, pattern) -%}
    {{ expr }} rlike '{{ pattern }}'
{%- endmacro %}

{# The `arg` of the row with the largest (smallest) `val` among the rows where `arg` is not NULL
   (and `condition` holds): DuckDB's arg_max/arg_min skip rows with a NULL arg, Spark's
   max_by/min_by do not, so the rows are chosen explicitly (the same SQL for both engines). #}
{% macro max_by_present(arg, val, condition='true') -%}
    max_by({{ arg }}, case when ({{ condition }}) and {{ arg }} is not null then {{ val }} end)
{%- endmacro %}
{% macro min_by_present(arg, val, condition='true') -%}
    min_by({{ arg }}, case when ({{ condition }}) and {{ arg }} is not null then {{ val }} end)
{%- endmacro %}

{# floor / ceil of a double as a double: DuckDB keeps the type, Spark's floor and ceil return a
   BIGINT (the column's type would differ). Beyond 2^52 every double is whole (and a BIGINT would
   overflow, as NaN and infinities could not pass): those pass unchanged. #}
{% macro floor_double(expr) -%}
    {{ return(adapter.dispatch('floor_double', 'migration_warehouse')(expr)) }}
{%- endmacro %}
{% macro duckdb__floor_double(expr) -%}
    floor({{ expr }})
{%- endmacro %}
{% macro spark__floor_double(expr) -%}
    case when abs({{ expr }}) < 4503599627370496 then cast(floor({{ expr }}) as double) else {{ expr }} end
{%- endmacro %}
{% macro ceil_double(expr) -%}
    {{ return(adapter.dispatch('ceil_double', 'migration_warehouse')(expr)) }}
{%- endmacro %}
{% macro duckdb__ceil_double(expr) -%}
    ceil({{ expr }})
{%- endmacro %}
{% macro spark__ceil_double(expr) -%}
    case when abs({{ expr }}) < 4503599627370496 then cast(ceil({{ expr }}) as double) else {{ expr }} end
{%- endmacro %}
