{#
  District cells known to the alliance hub: the local fct_exchange_district_cells plus those of
  imported packages for city-quarters this warehouse does not compute (macros/exchange_hub.sql).
#}
{{ exchange_hub_by_quarter('fct_exchange_district_cells', 'district_cells') }}
