-- Counselling contacts per city, month, service, nationality group ('INSGESAMT' = all) and
-- stated registration: contacts and distinct persons (a person counts once per cell; cells do
-- not add up to distinct persons across cells).
with contacts as (
    select * from {{ ref('stg_beratung__contacts') }}
)

select
    city,
    contact_month as month,
    stelle as service,
    case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end as nationality_group,
    gemeldet_angabe as stated_registration,
    count(*) as contacts,
    count(distinct person_pseudonym) as persons,
    'register' as basis
from contacts
group by grouping sets (
    (city, contact_month, stelle, nationality_group, gemeldet_angabe),
    (city, contact_month, stelle, gemeldet_angabe)
)
