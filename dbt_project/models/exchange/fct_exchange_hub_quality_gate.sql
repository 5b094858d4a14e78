{#
  Blocked city-quarters known to the alliance hub: local quality gate plus those reported in
  imported exchange packages (same precedence as fct_exchange_hub_cells).
#}
-- depends_on: {{ ref('fct_exchange_packages') }}  (the ref below sits in a conditional)
{%- set imported = exchange_import_relation('quality_gate') %}
{{ exchange_local_and_imported('fct_exchange_quality_gate', imported) }}
{%- if imported is not none %}
    where not exists (
            select 1 from {{ ref('fct_exchange_packages') }} as loc
            where loc.city = imp.city and (imp.period is null or loc.period = imp.period)
        )
{%- endif %}
