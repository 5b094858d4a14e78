{# The uniqueness test of every layer (no dbt_utils offline): returns the rows whose combination of
   `columns` occurs more than once (NULLs compare equal). Grouping the stock's 147 M rows by
   their string keys does not fit a 2 GB memory limit, so candidates are found by a 64-bit hash
   of the key first; only the candidates' rows are then grouped by the columns themselves, which
   keeps the test exact (a hash collision is not reported). #}
{% test unique_combination(model, columns) %}
with candidates as (
    select hash({{ columns | join(', ') }}) as key_hash
    from {{ model }}
    group by 1
    having count(*) > 1
)
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
where hash({{ columns | join(', ') }}) in (select key_hash from candidates)
group by all
having count(*) > 1
{% endtest %}
