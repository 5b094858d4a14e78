-- SGB II recipients on 31.12. (GENESIS 22811): persons in Bedarfsgemeinschaften and
-- Regelleistungsberechtigte, in total and foreigners (Ausländer(innen)).
select
    region_code, city_key, region_level, region_name, period_date as stichtag,
    period_year as year, sex, nationality, age_group,
    case
        when measure = 'Personen in Bedarfsgemeinschaften nach dem SGB II' then 'personen_in_bg'
        when measure = 'dar.: Regelleistungsberechtigte nach dem SGB II' then 'regelleistungsberechtigte'
        when measure ilike '%erwerbsf. Leistungsberech%' and measure not ilike '%nicht erwerbsf%' then 'elb'
        when measure ilike '%nicht erwerbsf. Leistungsberech%' then 'nef'
        when measure = 'Gesamtregelleistung (ALG II/Sozialgeld) n.d.SGB II' then 'regelleistung_sgb2'
        when measure = 'Empfänger von sozialen Mindestsicherungsleistungen' then 'mindestsicherung'
        else 'other'
    end as measure_key,
    measure, value as persons, value_symbol, missing_reason, table_code, file, source
from {{ ref('stg_official__values') }}
where statistic_code = '22811'
