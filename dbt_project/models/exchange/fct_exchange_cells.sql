{#
  Disclosure-controlled aggregates of every city and quarter: the only cell-level table that
  leaves the city layer (exported in exchange packages, read by the alliance layer).
  Suppression groups: one breakdown of one indicator in one city, quarter and basis; linked
  indicators (same suppression_family) share their hidden cells and totals.
#}
{{ disclosure_suppress(
    ref('int_exchange__cells'),
    group_cols=['city', 'period', 'basis', 'indicator_id', 'breakdown'],
    family_cols=['city', 'period', 'basis', 'coalesce(suppression_family, indicator_id)', 'breakdown', 'group_value'],
    total_scope_cols=['city', 'period', 'basis', 'coalesce(suppression_family, indicator_id)'],
) }}
