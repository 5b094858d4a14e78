-- Problem properties under observation with the latest inspection, blocked deliveries left out.
select
    r.*,
    r.letzte_kontrolle is not null and r.gemeldet_laut_register is not null as is_inspected
from {{ source('raw', 'wohnen_problemimmobilien') }} as r
where {{ not_blocked('r', 'wohnen', 'problemimmobilien') }}
