{#-
  The text of an invalid-var error: Invalid var NAME="VALUE": expected EXPECTED. The value is shown
  JSON-quoted (quotes, backslashes, control characters and non-ASCII escaped, so a newline or a
  look-alike quote in it is visible and cannot forge a log line) and cut after 200 characters.
  sparkify_invalid_var raises one; sparkify_settings gathers one line per invalid var and raises them together.
-#}
{% macro sparkify_invalid_var_message(name, value, expected) %}
  {%- set text = value | string -%}
  {%- set shown = tojson(text[:200]) ~ (' (first 200 of ' ~ text | length ~ ' characters)' if text | length > 200 else '') -%}
  {{ return('Invalid var ' ~ name ~ '=' ~ shown ~ ': expected ' ~ expected ~ '.') }}
{% endmacro %}
