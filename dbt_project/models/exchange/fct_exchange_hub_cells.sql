{#
  What the alliance hub knows: this warehouse's own exchange cells plus the cells of packages
  imported from other cities (`python -m orchestration.exchange import DIR` writes
  exchange_import.cells). A city-quarter present locally is taken from the local layer; an
  imported package only fills city-quarters this warehouse does not compute itself.
#}
{%- set imported = exchange_import_relation('cells') %}

with local_cells as (
    select *, 'local' as package_origin, cast(null as varchar) as package_id
    from {{ ref('fct_exchange_cells') }}
)

select * from local_cells
{%- if imported is not none %}
    union all by name
    select imp.* exclude (imported_at), 'imported' as package_origin
    from {{ imported }} as imp
    where not exists (
            select 1 from local_cells as loc
            where loc.city = imp.city and loc.period = imp.period
        )
{%- endif %}
