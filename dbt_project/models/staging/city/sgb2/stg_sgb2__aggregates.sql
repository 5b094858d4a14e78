-- SGB II aggregates of the Federal Employment Agency. Suppressed cells stay NULL with the flag.
-- A month is provisional until its final version (_v2 or later) is loaded.
select
    r.*,
    r.delivery_version < 2 as is_provisional
from {{ source('raw', 'sgb2_aggregat') }} as r
where {{ not_blocked('r', 'sgb2', 'aggregat') }}
