"""SGB II quotas per district at the level the Agency delivers (issue #4): Duisburg's SGB II comes
by Stadtbezirk while its register stock comes by Ortsteil; the quota is computed per Stadtbezirk
from the stock rolled up the district hierarchy, never by spreading SGB II counts down."""

from __future__ import annotations


def test_duisburg_sgb2_rows_are_stadtbezirke_with_quotas(demo_con):
    rows = demo_con.execute("""
        select district_level, count(*) as n_rows,
               count_if(sgb2_quota_pct is null and not elb_suppressed and register_stock_date is not null
                        and registered_15_64 > 0) as quota_missing,
               count_if(registered_15_64 is null and register_stock_date is not null) as no_denominator,
               count(sgb2_quota_pct) as with_quota
        from marts.fct_sgb2 where city = 'duisburg' group by 1 order by 1""").fetchall()
    by_level = {r[0]: r[1:] for r in rows}
    assert set(by_level) == {"stadt", "stadtbezirk"}  # no Ortsteil rows: nothing spread down
    n_rows, quota_missing, no_denominator, with_quota = by_level["stadtbezirk"]
    assert quota_missing == 0 and no_denominator == 0
    assert with_quota > n_rows / 4, f"only {with_quota} of {n_rows} Stadtbezirk rows have a quota"


def test_duisburg_denominator_is_the_sum_of_its_ortsteile(demo_con):
    """registered_15_64 of a Stadtbezirk = the Ortsteile's stock (same group, same stock date)."""
    mismatches = demo_con.execute("""
        with ortsteile as (
            select p.stichtag, d.parent_code as district_code, p.nationality_group,
                   sum(p.persons_15_64) as registered
            from intermediate.int_population_counts as p
            join marts.dim_districts as d
              on d.city = p.city and d.district_code = p.district_code and d.level = 'ortsteil'
            where p.city = 'duisburg' and not p.is_projected
            group by all
        )
        select s.month, s.district_code, s.nationality_group, s.registered_15_64, o.registered
        from marts.fct_sgb2 as s
        join ortsteile as o
          on o.stichtag = s.register_stock_date and o.district_code = s.district_code
         and o.nationality_group = s.nationality_group
        where s.city = 'duisburg' and s.registered_15_64 is distinct from o.registered""").fetchall()
    checked = demo_con.execute("""
        select count(*) from marts.fct_sgb2
        where city = 'duisburg' and district_level = 'stadtbezirk' and nationality_group <> 'INSGESAMT'
          and registered_15_64 > 0""").fetchone()[0]
    assert checked > 0 and mismatches == []


def test_city_total_denominator_counts_every_person_once(demo_con):
    """The city row's denominator is the whole stock (incl. unknown district), not the roll-up
    counted again at each level."""
    bad = demo_con.execute("""
        with stock as (
            select city, stichtag, sum(persons_15_64) as registered
            from intermediate.int_population_counts where not is_projected group by all
        )
        select s.city, s.month, s.registered_15_64, st.registered
        from marts.fct_sgb2 as s
        join stock as st on st.city = s.city and st.stichtag = s.register_stock_date
        where s.district_code = 'INSGESAMT' and s.nationality_group = 'INSGESAMT'
          and s.registered_15_64 <> st.registered""").fetchall()
    assert bad == []


def test_suppressed_elb_stays_suppressed_in_the_city_total(demo_con):
    leaks = demo_con.execute("""
        select t.city, t.month, t.nationality_group
        from marts.fct_sgb2 as t
        where t.district_code = 'INSGESAMT' and not t.elb_suppressed
          and exists (select 1 from marts.fct_sgb2 as d
                      where d.city = t.city and d.month = t.month and d.nationality_group = t.nationality_group
                        and d.district_code <> 'INSGESAMT' and d.elb_suppressed)""").fetchall()
    assert leaks == []
