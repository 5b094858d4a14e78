-- Sex codes after ingest normalisation with the codes of the dialects.
select sex, label_de, label_en, brp_code, ewo_code
from {{ ref('sexes') }}
