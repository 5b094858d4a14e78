-- Nationality keys (Destatis <-> ISO 3166 alpha-3) with the group seen from a German and from a
-- Dutch city: Dutch nationals are the national group NL there, Germans fall into EU_SONST.
select
    n.destatis_key,
    n.iso3,
    n.name_de,
    n.name_en,
    n.name_nl,
    n.group_de,
    case n.destatis_key when '148' then 'NL' when '000' then 'EU_SONST' else n.group_de end as group_nl,
    n.is_eu,
    n.valid_from,
    n.valid_to,
    n.valid_to is null as is_current
from {{ ref('nationalities') }} as n
