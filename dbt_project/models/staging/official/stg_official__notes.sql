-- Footnotes of official tables, with the years a note names in its subject (e.g.
-- 'Nordrhein-Westfalen (2014)') so marts can attach known errors and breaks to their figures.
select
    table_code, file, note_no, kind, scope, subject, note_text,
    try_cast(regexp_extract(subject, '\((?:ab |von )?(\d{4})', 1) as integer) as subject_year
from {{ source('raw_official', 'notes') }}
where kind = 'footnote'
-- one text per table: the same note in two encodings or overlapping downloads is kept once
qualify row_number() over (partition by table_code, note_text order by file, note_no) = 1
