{#-
  Prints the SQL that the copy_json pre-hook would run for one landing table on the current
  target, without running it. For review and for the rendered-SQL tests:
    dbt run-operation print_copy_json_sql --args '{table_name: staging_events}' --target redshift
-#}
{% macro print_copy_json_sql(table_name) %}
  {%- do print(copy_json(table_name)) -%}
{% endmacro %}
