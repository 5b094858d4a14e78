{#
  Each anchored district with itself (depth 0) and each ancestor of its parent chain (depth 1 to
  max_depth), one row each (models/marts/city/fct_sgb2.sql): `anchors` (city, on_date,
  district_code) and `chains` (the same with ancestor_1 ... ancestor_<max_depth>, NULL above the
  top; every anchor has at least one chain row).
#}
{#- sqlfluff renders these bodies without the model around them and misplaces the loops' indents -#}
-- noqa: disable=LT02
{% macro district_ancestor_rows(anchors, chains, max_depth) -%}
    {{ return(adapter.dispatch('district_ancestor_rows', 'migration_warehouse')(anchors, chains, max_depth)) }}
{%- endmacro %}

{#- DuckDB: one union member per depth, the SQL fct_sgb2 ran before the engines were two. -#}
{% macro duckdb__district_ancestor_rows(anchors, chains, max_depth) -%}
    select city, on_date, district_code, district_code as ancestor_code, 0 as depth
    from {{ anchors }}
    {%- for depth in range(1, max_depth + 1) %}
        union
        select city, on_date, district_code, ancestor_{{ depth }}, {{ depth }}
        from {{ chains }}
        where ancestor_{{ depth }} is not null
    {%- endfor %}
{%- endmacro %}

{#- Spark: the chains read once and turned into rows (inline of one struct per depth): Spark
    inlines a CTE at every use, so a union member per depth planned and ran the chain of 10 joins
    10 times (30 with the two readers of the ancestors). The same set of rows (distinct, as union). -#}
{% macro spark__district_ancestor_rows(anchors, chains, max_depth) -%}
    select distinct c.city, c.on_date, c.district_code, chain.ancestor_code, chain.depth
    from {{ chains }} as c
    lateral view inline(array(
        named_struct('ancestor_code', c.district_code, 'depth', 0)
        {%- for depth in range(1, max_depth + 1) %},
        named_struct('ancestor_code', c.ancestor_{{ depth }}, 'depth', {{ depth }})
        {%- endfor %}
    )) chain as ancestor_code, depth
    where chain.ancestor_code is not null
{%- endmacro %}
