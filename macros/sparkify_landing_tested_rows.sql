{#-
  What the landing-table tests (duplicate_landing_rows, unkeyed_landing_rows, possibly_truncated)
  read: the landing relation, or in a window run whose test_scope is 'window' only the rows of the
  UTC days its load replaced (on the epoch-ms meta.partition_column; a table without one, the song
  catalogue, is read whole). Takes sparkify_landing(table).
-#}
{% macro sparkify_landing_tested_rows(landing) %}
  {%- set column = landing.meta.get('partition_column') -%}
  {%- set settings = sparkify_settings() -%}
  {%- set scope = sparkify_merge_scope(settings) -%}
  {%- if column and scope.kind == 'days' and settings.test_scope == 'window' -%}
    {{ return('(select * from ' ~ landing.relation ~ ' where ' ~ column ~ ' >= ' ~ scope.start_ms
              ~ ' and ' ~ column ~ ' < ' ~ scope.end_ms ~ ') replaced_days') }}
  {%- endif -%}
  {{ return(landing.relation) }}
{% endmacro %}
