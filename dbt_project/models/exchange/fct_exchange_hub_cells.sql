{#
  What the alliance hub knows: this warehouse's own exchange cells plus the cells of packages
  imported from other cities (`python -m orchestration.exchange import DIR` writes
  exchange_import.cells). A city-quarter present locally is taken from the local layer; an
  imported package only fills city-quarters this warehouse does not compute itself.
#}
{%- set imported = exchange_import_relation('cells') %}
{{ exchange_local_and_imported('fct_exchange_cells', imported) }}
{%- if imported is not none %}
    where not exists (
            select 1 from {{ ref('fct_exchange_cells') }} as loc
            where loc.city = imp.city and loc.period = imp.period
        )
{%- endif %}
