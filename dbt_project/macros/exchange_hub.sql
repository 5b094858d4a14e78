{#
  The alliance hub: local exchange rows unioned with the rows of imported exchange packages
  (exchange_import.<table>, written by `python -m orchestration.exchange import`). The import
  table is looked up at run time; before the first import it does not exist and the hub holds
  the local rows only.
#}
{% macro exchange_import_relation(identifier) %}
    {%- if not execute %}{{ return(none) }}{% endif %}
    {{ return(adapter.get_relation(database=target.database, schema='exchange_import', identifier=identifier)) }}
{% endmacro %}

{# Local rows, then the imported package rows (`imp`) if there are any: a filter on the imported
   rows may follow the call. Columns by name (what DuckDB's UNION ALL BY NAME did, spelled out for
   every engine): the local model's columns, package_origin and package_id, then any column only
   the imported table has (NULL in the local rows); a local column the import lacks is NULL there. #}
{% macro exchange_local_and_imported(local_model, imported) -%}
    {%- set local_relation = ref(local_model) %}
    {%- if imported is none %}
select *, 'local' as package_origin, cast(null as string) as package_id
from {{ local_relation }}
    {%- else %}
        {%- set local_cols = adapter.get_columns_in_relation(local_relation) | map(attribute='name') | list %}
        {%- set imported_cols = adapter.get_columns_in_relation(imported) | map(attribute='name') | list %}
        {%- set own = local_cols + ['package_origin', 'package_id', 'imported_at'] %}
        {%- set extra_cols = imported_cols | reject('in', own) | list %}
    select
        *,
        'local' as package_origin,
        cast(null as string) as package_id
        {%- for col in extra_cols %},
            null as {{ col }}
        {%- endfor %}
    from {{ local_relation }}
    union all
    select
        {%- for col in local_cols + ['package_origin', 'package_id'] + extra_cols %}
            {%- if col == 'package_origin' %}
                'imported' as {{ col }}
            {%- elif col in imported_cols %}
                imp.{{ col }}
            {%- else %}
                null as {{ col }}
            {%- endif %}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ imported }} as imp
    {%- endif %}
{%- endmacro %}

{#
  Tables per quarter (district cells, estimates): a city-quarter this warehouse computes itself
  (listed in fct_exchange_packages) comes from the local layer; an imported package only fills
  city-quarters the warehouse does not compute - the precedence of fct_exchange_hub_cells.
#}
{% macro exchange_hub_by_quarter(local_model, import_identifier) %}
    {#- ref outside the conditional, so dbt knows the dependency at parse time #}
    {%- set local_quarters = ref('fct_exchange_packages') %}
    {%- set imported = exchange_import_relation(import_identifier) %}
    {{ exchange_local_and_imported(local_model, imported) }}
    {%- if imported is not none %}
where not exists (
    select 1 from {{ local_quarters }} as loc
    where loc.city = imp.city and loc.period = imp.period
)
    {%- endif %}
{% endmacro %}

{#
  Snapshot tables (retention curves, register vs official): each package carries the city's
  state as of its quarter (`period`, as in every exchange table). Per city the latest snapshot wins; on the same
  quarter the local one (as for the quarter tables). Local rows without an as-of quarter (a city
  with official figures only) give way to any package of that city.
#}
{% macro exchange_hub_snapshot(local_model, import_identifier) %}
{%- set imported = exchange_import_relation(import_identifier) %}
with candidates as (
    {{ exchange_local_and_imported(local_model, imported) }}
),

-- the winning snapshot of each city (one key per city; a window filter instead of QUALIFY)
best as (
    select city, period, package_origin, package_id
    from (
        select
            city, period, package_origin, package_id,
            dense_rank() over (
                partition by city
                order by period desc nulls last, package_origin = 'local' desc, package_id
            ) as snapshot_rank
        from candidates
    ) as ranked
    where snapshot_rank = 1
    group by city, period, package_origin, package_id
)

select c.*
from candidates as c
inner join best as b
    on c.city = b.city
        and c.period is not distinct from b.period
        and c.package_origin = b.package_origin
        and c.package_id is not distinct from b.package_id
{% endmacro %}
