{#-
  Describes one landing table from its source declaration (models/staging/sparkify/_sparkify__sources.yml):
  the relation, the ordered columns with data_type and meta.json_key, and the table meta.
  Only callable at execution time (it reads the graph).
-#}
{% macro sparkify_landing(table_name) %}
  {%- set node = graph.sources.get('source.' ~ project_name ~ '.sparkify.' ~ table_name) -%}
  {%- if node is none -%}
    {{ exceptions.raise_compiler_error("Unknown landing table " ~ (table_name | tojson) ~ ": declare it in source 'sparkify'.") }}
  {%- endif -%}
  {%- set columns = [] -%}
  {%- for column in node.columns.values() -%}
    {%- if not column.data_type -%}
      {{ exceptions.raise_compiler_error("Source column sparkify." ~ table_name ~ "." ~ column.name ~ " has no data_type.") }}
    {%- endif -%}
    {%- do columns.append({'name': column.name, 'data_type': column.data_type, 'json_key': column.meta.get('json_key')}) -%}
  {%- endfor -%}
  {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.identifier) -%}
  {{ return({'relation': relation, 'columns': columns, 'meta': node.meta, 'name': table_name}) }}
{% endmacro %}
