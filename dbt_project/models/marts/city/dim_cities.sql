-- The alliance's cities with keys, memberships (one row per alliance: dim_city_alliances) and the
-- registration rule that applies.
select
    c.slug as city,
    c.name as city_name,
    c.country,
    c.official_key,
    c.key_type,
    c.dialect,
    c.optionskommune,
    {{ split_string('c.alliances', '|') }} as alliances,
    c.delivers_sgb2,
    r.national_group,
    r.national_destatis_key,
    c.registration_rule,
    r.rule_en as registration_rule_note
from {{ ref('stg_meta__cities') }} as c
left join {{ ref('registration_rules') }} as r on r.rule_code = c.registration_rule
