-- Age bands: the standard disjoint set and the derived overlapping bands (join by age range).
select age_band, band_set, age_from, age_to, sort_order, label_de
from {{ ref('age_bands') }}
