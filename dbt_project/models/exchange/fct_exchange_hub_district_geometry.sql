{#
  District boundaries known to the alliance hub: the local ones, and for a city this warehouse
  has no boundaries of, those of an imported package (exchange_import.district_geometry) should
  a package carry them - the exchange package format (schema 2.0) does not yet.
#}
{%- set imported = exchange_import_relation('district_geometry') %}
with candidates as (
    {{ exchange_local_and_imported('fct_exchange_district_geometry', imported) }}
),

-- the local boundaries of a city, else one package's (a window filter instead of QUALIFY)
best as (
    select city, package_origin, package_id
    from (
        select
            city, package_origin, package_id,
            dense_rank() over (partition by city order by package_origin = 'local' desc, package_id) as source_rank
        from candidates
    ) as ranked
    where source_rank = 1
    group by city, package_origin, package_id
)

select c.*
from candidates as c
inner join best as b
    on c.city = b.city
        and c.package_origin = b.package_origin
        and c.package_id is not distinct from b.package_id
