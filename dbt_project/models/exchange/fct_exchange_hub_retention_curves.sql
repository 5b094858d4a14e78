{#
  Retention curves known to the alliance hub: per city the latest snapshot (curves as of the
  quarter in `period`), local or from an imported package (macros/exchange_hub.sql).
#}
{{ exchange_hub_snapshot('fct_exchange_retention_curves', 'retention_curves') }}
