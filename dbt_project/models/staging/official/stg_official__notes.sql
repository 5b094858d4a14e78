-- Footnotes of official tables, with the years a note names in its subject (e.g.
-- 'Nordrhein-Westfalen (2014)') so marts can attach known errors and breaks to their figures.
-- (The regexp spells ( and digits as [(] and [0-9]: Spark unescapes backslashes in literals.)
with footnotes as (
    select
        table_code, file, note_no, kind, scope, subject, note_text,
        try_cast(regexp_extract(subject, '[(](?:ab |von )?([0-9]{4})', 1) as integer) as subject_year,
        -- one text per table: the same note in two encodings or overlapping downloads is kept once
        row_number() over (partition by table_code, note_text order by file, note_no) as text_rank
    from {{ source('raw_official', 'notes') }}
    where kind = 'footnote'
)

select table_code, file, note_no, kind, scope, subject, note_text, subject_year
from footnotes
where text_rank = 1
