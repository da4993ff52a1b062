{#-
  Pre-hook of the staging models: loads one landing table from JSON under var data_root.
    pre_hook: "{{ copy_json('staging_events') }}"  (run outside dbt's transaction; the
    rendered SQL is its own transaction)
  The plan (which keys, which partition to replace, or why to skip) is engine-neutral and comes
  from sparkify_load_plan; the SQL is dispatched per adapter: redshift__copy_json runs a real
  Redshift COPY, duckdb__copy_json reads the same files with read_json_objects.
  Returns the SQL to run, or '' when the plan says to skip (logged).
-#}
{% macro copy_json(table_name) %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set plan = sparkify_load_plan(table_name) -%}
  {%- if plan.skip -%}
    {%- do log('copy_json ' ~ table_name ~ ': ' ~ plan.skip, info=true) -%}
    {{ return('') }}
  {%- endif -%}
  {%- do log('copy_json ' ~ table_name ~ ': loading ' ~ plan['keys'] | join(', ') ~ ' from ' ~ plan.settings.data_root ~ ', replacing ' ~ plan.replace_description, info=true) -%}
  {{ return(adapter.dispatch('copy_json', 'sparkify')(plan)) }}
{% endmacro %}

{% macro default__copy_json(plan) %}
  {{ exceptions.raise_compiler_error("copy_json supports the redshift and duckdb adapters, not " ~ adapter.type()) }}
{% endmacro %}
