{#
  Register against official figures known to the alliance hub: per city the latest snapshot
  (as of the quarter in `period`), local or from an imported package (macros/exchange_hub.sql).
#}
{{ exchange_hub_snapshot('fct_exchange_register_vs_official', 'register_vs_official') }}
