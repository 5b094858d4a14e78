-- Every published official cell once: the same cell published in several files (two encodings of
-- a classic download, a ZIP and its CSV excerpt, overlapping period ranges) is kept from the
-- preferred file (flat API file before classic download, then the latest Stand, then UTF-8).
-- n_publications and values_agree keep the evidence that the copies were compared, not merged.
with vals as (
    select
        v.*,
        f.stand,
        f.encoding,
        -- AGS of a kreisfreie Stadt = Kreis code + '000'; GM codes are city keys already.
        case
            when v.region_level = 'kreis' then v.region_code || '000'
            when v.region_level = 'gemeinde' then v.region_code
        end as city_key,
        coalesce(v.region_code, 'name:' || v.region_name) as region_key
    from {{ source('raw_official', 'values') }} as v
    left join {{ source('raw_official', 'files') }} as f
        on f.file = v.file and f.status = 'loaded'
),

ranked as (
    select
        *,
        row_number() over cell_window as publication_rank,
        count(*) over cell_all as n_publications,
        -- one distinct value among the copies (count(distinct) over a window does not run on Spark:
        -- min = max says the same, and NULL when no copy has a value)
        coalesce(
            min(coalesce(cast(value as string), value_symbol, missing_reason)) over cell_all
            = max(coalesce(cast(value as string), value_symbol, missing_reason)) over cell_all,
            false
        ) as values_agree
    from vals
    window
        cell_all as (
            partition by
                table_code, region_key, period_type, period_year, period_date,
                coalesce(measure_code, measure), sex, nationality, age_group, dims
        ),
        cell_window as (
            partition by
                table_code, region_key, period_type, period_year, period_date,
                coalesce(measure_code, measure), sex, nationality, age_group, dims
            order by
                case source when 'genesis-flat' then 1 when 'genesis-classic' then 2 else 3 end,
                {{ try_parse_date_dmy("split_part(stand, ' /', 1)") }} desc nulls last,
                case encoding when 'utf-8-sig' then 1 when 'utf-8' then 2 else 3 end,
                file
        )
)

-- the columns of raw_official.values, then what this model adds (without the ranking keys)
select
    table_code, statistic_code, source, file, source_line, region_code, region_level, region_name,
    period_type, period_date, period_year, measure, measure_code, sex, nationality, age_group, dims,
    column_label, value, value_symbol, missing_reason, quality_flag, rounded, unit, basis_note,
    loaded_at, stand, encoding, city_key, n_publications, values_agree
from ranked
where publication_rank = 1
