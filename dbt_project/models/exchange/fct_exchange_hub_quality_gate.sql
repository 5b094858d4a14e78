{#
  Blocked city-quarters known to the alliance hub: local quality gate plus those reported in
  imported exchange packages (same precedence as fct_exchange_hub_cells).
#}
-- depends_on: {{ ref('fct_exchange_packages') }}  (the ref below sits in a conditional)
{%- set imported = exchange_import_relation('quality_gate') %}

with local_gate as (
    select *, 'local' as package_origin, cast(null as varchar) as package_id
    from {{ ref('fct_exchange_quality_gate') }}
)

select * from local_gate
{%- if imported is not none %}
    union all by name
    select imp.* exclude (imported_at), 'imported' as package_origin
    from {{ imported }} as imp
    where not exists (
            select 1 from {{ ref('fct_exchange_packages') }} as loc
            where loc.city = imp.city and (imp.period is null or loc.period = imp.period)
        )
{%- endif %}
