{#- Fails compilation with a message that names the var, the value and what was expected. -#}
{% macro sparkify_invalid_var(name, value, expected) %}
  {{ exceptions.raise_compiler_error("Invalid var " ~ name ~ "=" ~ (value | string | tojson) ~ ": expected " ~ expected ~ ".") }}
{% endmacro %}
