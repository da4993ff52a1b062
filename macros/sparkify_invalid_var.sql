{#- Fails compilation with a message that names the var, the value (double-quoted) and what was expected. -#}
{% macro sparkify_invalid_var(name, value, expected) %}
  {%- set shown = (value | string).replace('\\', '\\\\').replace('"', '\\"') -%}
  {{ exceptions.raise_compiler_error('Invalid var ' ~ name ~ '="' ~ shown ~ '": expected ' ~ expected ~ '.') }}
{% endmacro %}
