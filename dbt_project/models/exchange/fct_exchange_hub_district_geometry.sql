{#
  District boundaries known to the alliance hub: the local ones, and for a city this warehouse
  has no boundaries of, those of an imported package (exchange_import.district_geometry) should
  a package carry them - the exchange package format (schema 2.0) does not yet.
#}
{%- set imported = exchange_import_relation('district_geometry') %}
with candidates as (
    {{ exchange_local_and_imported('fct_exchange_district_geometry', imported) }}
)

select *
from candidates
qualify dense_rank() over (partition by city order by package_origin = 'local' desc, package_id) = 1
