{#
  Seeds on Spark: dbt-spark's session cursor pastes the values into the insert unescaped
  ('%s' % value), so a quote in a seed text ('vertrokken onbekend waarheen') breaks the SQL and
  an empty cell becomes the string 'None'. The same insert with escaped literals and null.
  (Only the spark__ implementation: DuckDB keeps dbt-duckdb's own seed loading.)
#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- else -%}'{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {% set batch_size = get_batch_size() %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(batch_size) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
        {% endset %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
    {% endfor %}
    {{ return(statements[0]) }}
{% endmacro %}
