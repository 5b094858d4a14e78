-- Dwelling stock per district, blocked deliveries left out.
select r.*
from {{ source('raw', 'wohnen_wohnungsbestand') }} as r
where {{ not_blocked('r', 'wohnen', 'wohnungsbestand') }}
