{# Generic data tests of the Dunkelziffer marts (no dbt packages offline). Each returns the failing rows. #}

{# Among the recommended rows of a stratum: residents = registered - registered_gone + unregistered
   (1e-6 relative plus `tolerance` persons, for rounded marts). `only_recommended`: look at the rows
   flagged `recommended` only. With `require_complete`, a stratum that has a residents figure but
   lacks another part fails too (a stratum where no residents method is estimable keeps its gone
   figure alone). #}
{% test residents_add_up(model, strata, tolerance=0, require_complete=true, only_recommended=false) %}
with parts as (
    select
        {{ strata | join(', ') }},
        any_value(registered) as registered,
        max(case when quantity = 'residents' then point end) as residents,
        max(case when quantity = 'registered_gone' then point end) as gone,
        max(case when quantity = 'unregistered' then point end) as unregistered,
        count(distinct quantity) as parts
    from {{ model }}
{% if only_recommended %} where recommended {% endif %}
    group by {{ strata | join(', ') }}
)
select *
from parts
where
    {% if require_complete %} (residents is not null and parts < 3) or {% endif %}
    (residents is not null and gone is not null and unregistered is not null
     and abs(residents - (registered - gone + unregistered)) > {{ tolerance }} + 0.000001 * greatest(1, abs(residents)))
{% endtest %}
