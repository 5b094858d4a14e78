{#
  Adapter-dispatched SQL helpers: one model file serves DuckDB and Spark (issue #18). Each macro
  has a duckdb__ implementation that renders exactly the SQL the models used before (so the DuckDB
  tables stay bit for bit, types included) and a spark__ implementation with the same meaning.
  Portable SQL needs no macro: CAST(x AS type) with string/double/bigint/integer/date, date + n
  and date - n (days), last_day, make_date, year/quarter/month, cast(date_trunc('month', d) as
  date), split_part, ilike, concat_ws, max_by/min_by, bool_or/bool_and, GROUP BY ALL, the standard
  UNPIVOT (v FOR name IN (...)), named WINDOWs. Not portable (use these helpers or rewrite):
  ::casts, QUALIFY, SELECT * EXCLUDE, UNION BY NAME, WITH RECURSIVE (Spark 4.0 parses but does not
  run it), count(distinct) OVER (Spark refuses distinct window functions), lists, regexps with
  backslashes (Spark unescapes string literals: write [(] and [0-9] instead of \( and \d),
  decimal literals in a division (DuckDB makes int / 2.0 a DOUBLE, Spark a DECIMAL that rounds
  to 6 digits: write cast(2 as double)), any_value (DuckDB skips NULLs, Spark does not unless
  asked: where every row of the group holds the same value, max() says the same on both), and a
  window reference in arithmetic (`sum(x) over w - y` is an identifier error on Spark: parenthesise).
  sqlfluff renders the models without dbt's adapter object: there the duckdb__ SQL is linted (the
  lint dialect is DuckDB).
#}

{# Date n months after a date, as a DATE (DuckDB's date + interval is a TIMESTAMP); the day is
   clamped to the month's end in both engines (Jan 31 + 1 month = Feb 28/29). #}
{% macro add_months(date_expr, months) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('add_months', 'migration_warehouse')(date_expr, months)) }}
    {%- else %}
        {{- return(duckdb__add_months(date_expr, months)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__add_months(date_expr, months) -%}
    cast({{ date_expr }} + interval ({{ months }}) month as date)
{%- endmacro %}
{% macro spark__add_months(date_expr, months) -%}
    add_months({{ date_expr }}, {{ months }})
{%- endmacro %}

{# Whole days from start_date to end_date (end - start; BIGINT in DuckDB, INT in Spark):
   DuckDB's date_diff('day', start, end) and Spark's datediff(end, start) take opposite orders. #}
{% macro days_between(start_date, end_date) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('days_between', 'migration_warehouse')(start_date, end_date)) }}
    {%- else %}
        {{- return(duckdb__days_between(start_date, end_date)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}
{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}

{# Number of rows where a condition is true, as DuckDB's count_if counts: a HUGEINT there, and
   NULL (not 0) when the condition is NULL on every row of the group; Spark's count_if gives 0
   there, so the spark__ version sums 1/0 to keep the NULL. #}
{% macro count_true(condition) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('count_true', 'migration_warehouse')(condition)) }}
    {%- else %}
        {{- return(duckdb__count_true(condition)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__count_true(condition) -%}
    count_if({{ condition }})
{%- endmacro %}
{% macro spark__count_true(condition) -%}
    sum(case when {{ condition }} then 1 when not ({{ condition }}) then 0 end)
{%- endmacro %}

{# Integer division rounding toward minus infinity for non-negative operands (DuckDB's //; Spark's
   / is always a DOUBLE, its div truncates like // for non-negative numbers). #}
{% macro int_div(numerator, denominator) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('int_div', 'migration_warehouse')(numerator, denominator)) }}
    {%- else %}
        {{- return(duckdb__int_div(numerator, denominator)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__int_div(numerator, denominator) -%}
    ({{ numerator }} // {{ denominator }})
{%- endmacro %}
{% macro spark__int_div(numerator, denominator) -%}
    ({{ numerator }} div {{ denominator }})
{%- endmacro %}

{# A string split at a literal delimiter into a list (VARCHAR[] / array<string>): Spark's split
   takes a regular expression, so the delimiter is quoted there. #}
{% macro split_string(string_expr, delimiter) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('split_string', 'migration_warehouse')(string_expr, delimiter)) }}
    {%- else %}
        {{- return(duckdb__split_string(string_expr, delimiter)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__split_string(string_expr, delimiter) -%}
    string_split({{ string_expr }}, '{{ delimiter }}')
{%- endmacro %}
{% macro spark__split_string(string_expr, delimiter) -%}
    split({{ string_expr }}, '\\Q{{ delimiter }}\\E', -1)
{%- endmacro %}

{# One row per element of a list, joined to the row it came from, written right after the FROM
   item: `from t as c {{ lateral_unnest('c.list_col', 'm', 'item') }}` (DuckDB: `, unnest(...) as
   m (item)`; Spark has no lateral table function with a column alias but LATERAL VIEW explode).
   Rows with an empty or NULL list give no row in both. #}
{% macro lateral_unnest(list_expr, alias, column) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('lateral_unnest', 'migration_warehouse')(list_expr, alias, column)) }}
    {%- else %}
        {{- return(duckdb__lateral_unnest(list_expr, alias, column)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__lateral_unnest(list_expr, alias, column) -%}
    , unnest({{ list_expr }}) as {{ alias }} ({{ column }})
{%- endmacro %}
{% macro spark__lateral_unnest(list_expr, alias, column) -%}
    lateral view explode({{ list_expr }}) {{ alias }} as {{ column }}
{%- endmacro %}

{# The elements of a list as rows, in a select list (DuckDB unnest, Spark explode). On Spark the
   generator must be the whole select item (`select {{ unnest_list(x) }} as v`, no cast around it). #}
{% macro unnest_list(list_expr) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('unnest_list', 'migration_warehouse')(list_expr)) }}
    {%- else %}
        {{- return(duckdb__unnest_list(list_expr)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__unnest_list(list_expr) -%}
    unnest({{ list_expr }})
{%- endmacro %}
{% macro spark__unnest_list(list_expr) -%}
    explode({{ list_expr }})
{%- endmacro %}

{# The first days of the months from first_month to last_month (both first days) as a list:
   DuckDB's generate_series gives TIMESTAMPs (cast the elements to date), Spark's sequence DATEs. #}
{% macro month_series(first_month, last_month) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('month_series', 'migration_warehouse')(first_month, last_month)) }}
    {%- else %}
        {{- return(duckdb__month_series(first_month, last_month)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__month_series(first_month, last_month) -%}
    generate_series({{ first_month }}, {{ last_month }}, interval 1 month)
{%- endmacro %}
{% macro spark__month_series(first_month, last_month) -%}
    sequence({{ first_month }}, {{ last_month }}, interval 1 month)
{%- endmacro %}

{# A JSON member as text ('$.key' paths), NULL when absent: json_extract_string / get_json_object. #}
{% macro json_string(json_expr, path) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('json_string', 'migration_warehouse')(json_expr, path)) }}
    {%- else %}
        {{- return(duckdb__json_string(json_expr, path)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__json_string(json_expr, path) -%}
    json_extract_string({{ json_expr }}, '{{ path }}')
{%- endmacro %}
{% macro spark__json_string(json_expr, path) -%}
    get_json_object({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{# A German date 'DD.MM.YYYY' as a timestamp, NULL when the text is not one (for ordering):
   the engines spell the format differently (strftime vs Java patterns). #}
{% macro try_parse_date_dmy(string_expr) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('try_parse_date_dmy', 'migration_warehouse')(string_expr)) }}
    {%- else %}
        {{- return(duckdb__try_parse_date_dmy(string_expr)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__try_parse_date_dmy(string_expr) -%}
    try_strptime({{ string_expr }}, '%d.%m.%Y')
{%- endmacro %}
{% macro spark__try_parse_date_dmy(string_expr) -%}
    try_to_timestamp({{ string_expr }}, 'd.M.yyyy')
{%- endmacro %}

{# The distinct non-NULL values of a group joined in ascending order (NULL without any):
   DuckDB's ordered string_agg; on Spark the sorted collect_set (two listagg(DISTINCT ...) WITHIN
   GROUP with different columns in one query fail there with a ClassCastException, Spark 4.0.5). #}
{% macro string_agg_distinct(expr, separator) -%}
    {%- if adapter is defined %}
        {{- return(adapter.dispatch('string_agg_distinct', 'migration_warehouse')(expr, separator)) }}
    {%- else %}
        {{- return(duckdb__string_agg_distinct(expr, separator)) }}
    {%- endif %}
{%- endmacro %}
{% macro duckdb__string_agg_distinct(expr, separator) -%}
    string_agg(distinct {{ expr }}, '{{ separator }}' order by {{ expr }})
{%- endmacro %}
{% macro spark__string_agg_distinct(expr, separator) -%}
    case when count({{ expr }}) > 0 then array_join(array_sort(collect_set({{ expr }})), '{{ separator }}') end
{%- endmacro %}
