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
   rows may follow the call. #}
{% macro exchange_local_and_imported(local_model, imported) -%}
select *, 'local' as package_origin, cast(null as varchar) as package_id
from {{ ref(local_model) }}
    {%- if imported is not none %}
union all by name
select imp.* exclude (imported_at), 'imported' as package_origin
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
)

select *
from candidates
qualify dense_rank() over (
    partition by city
    order by period desc nulls last, package_origin = 'local' desc, package_id
) = 1
{% endmacro %}
