{#-
  Fails compilation with a message that names the var, the value and what was expected. The value is
  shown JSON-quoted (quotes, backslashes, control characters and non-ASCII escaped, so a newline or a
  look-alike quote in it is visible and cannot forge a log line) and cut after 200 characters.
-#}
{% macro sparkify_invalid_var(name, value, expected) %}
  {%- set text = value | string -%}
  {%- set shown = tojson(text[:200]) ~ (' (first 200 of ' ~ text | length ~ ' characters)' if text | length > 200 else '') -%}
  {{ exceptions.raise_compiler_error('Invalid var ' ~ name ~ '=' ~ shown ~ ': expected ' ~ expected ~ '.') }}
{% endmacro %}
