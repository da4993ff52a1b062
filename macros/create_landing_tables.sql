{#-
  on-run-start: creates every landing table of source 'sparkify' that does not exist yet, from
  the declared columns and types. Runs before anything reads the sources (unit tests included).
-#}
{% macro create_landing_tables() %}
  {#- Validate every var first, at parse time too: the hook's SQL is built from the landing schema
      (var landing_schema), and it runs before any model. -#}
  {%- do sparkify_settings() -%}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set statements = [] -%}
  {%- for node in graph.sources.values() if node.source_name == 'sparkify' and node.package_name == project_name -%}
    {%- set landing = sparkify_landing(node.name) -%}
    {%- if loop.first -%}
      {%- do statements.append('create schema if not exists ' ~ adapter.quote(landing.relation.schema)) -%}
    {%- endif -%}
    {%- do statements.append(sparkify_create_table_sql(landing.relation, landing.columns)) -%}
  {%- endfor -%}
  {{ return(statements | join(';\n') ~ ';') }}
{% endmacro %}
