{#
  Dunkelziffer estimates known to the alliance hub: local estimates plus those of imported
  packages for city-quarters this warehouse does not compute (macros/exchange_hub.sql).
#}
{{ exchange_hub_by_quarter('fct_exchange_dunkelziffer_estimates', 'dunkelziffer_estimates') }}
