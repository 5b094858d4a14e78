-- The cities' small-area reference, blocked deliveries left out.
select
    r.*,
    coalesce(r.gueltig_bis, date '9999-12-31') as valid_to_or_open
from {{ source('raw', 'gebiete') }} as r
where {{ not_blocked('r', 'gebiete') }}
