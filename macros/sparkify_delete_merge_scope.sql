{#-
  Pre-hook of the time-keyed incremental models (fct_songplays, dim_time): deletes the rows of
  sparkify_merge_scope() before the model inserts them again, inside the model's transaction, so
  that a row whose source line was corrected, removed or re-sent disappears too (a merge by key
  alone would keep it). A delete, not TRUNCATE: Redshift's TRUNCATE commits at once. Renders
  nothing when the model is not incremental (a table, or its first run).
-#}
{% macro sparkify_delete_merge_scope(time_column) %}
  {%- if not is_incremental() -%}
    {{ return('') }}
  {%- endif -%}
  {%- set scope = sparkify_merge_scope(sparkify_settings()) -%}
  {%- if scope.kind == 'all' -%}
    {{ return('delete from ' ~ this) }}
  {%- endif -%}
  {{ return('delete from ' ~ this ~ ' where ' ~ time_column ~ " >= cast('" ~ scope.start_sql ~ "' as timestamp) and "
            ~ time_column ~ " < cast('" ~ scope.end_sql ~ "' as timestamp)") }}
{% endmacro %}
