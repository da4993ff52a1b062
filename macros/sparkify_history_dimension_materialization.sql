{#-
  Materialization of a dimension derived from the event history (dim_users, dim_time).
  Full runs follow var dimension_load_mode (table = truncate-insert, incremental = merge). A window
  run always merges: rebuilding such a dimension reads the whole history, so an hourly run would
  cost more every day; merging reads only the days the run loaded (the models filter on
  is_incremental()). Takes the dict from sparkify_settings() so the vars are validated once.
-#}
{% macro sparkify_history_dimension_materialization(settings) %}
  {{ return('incremental' if settings.dimension_load_mode == 'merge' or settings.window is not none else 'table') }}
{% endmacro %}
