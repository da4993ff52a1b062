{#-
  Renders the reason template of one rejection kind of sparkify_load_error_contract() as a SQL
  string expression: the template's text as literals, each {placeholder} replaced by the SQL
  expression params[placeholder] (a character expression), joined with ||, cut to the
  err_reason width. Engine-neutral (DuckDB, Redshift, PostgreSQL).
    sparkify_load_error_reason_sql('invalid_digit', {'char': "substr(v, 1, 1)", 'pos': "'0'", 'type': "'Integer'"})
-#}
{% macro sparkify_load_error_reason_sql(kind, params) %}
  {%- set contract = sparkify_load_error_contract() -%}
  {%- if kind not in contract.errors -%}
    {{ exceptions.raise_compiler_error("Unknown load error kind " ~ (kind | tojson) ~ "; expected one of " ~ contract.errors.keys() | sort | join(', ')) }}
  {%- endif -%}
  {%- set parts = modules.re.split('[{]([a-z]+)[}]', contract.errors[kind].reason) -%}
  {%- set pieces = [] -%}
  {%- for part in parts -%}
    {%- if loop.index0 % 2 == 0 -%}
      {%- if part -%}
        {%- do pieces.append("'" ~ part.replace("'", "''") ~ "'") -%}
      {%- endif -%}
    {%- elif part in params -%}
      {%- do pieces.append('(' ~ params[part] ~ ')') -%}
    {%- else -%}
      {{ exceptions.raise_compiler_error("Load error reason " ~ kind ~ " needs a value for {" ~ part ~ "}") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return('left(' ~ pieces | join(' || ') ~ ', ' ~ contract.widths.err_reason ~ ')') }}
{% endmacro %}
