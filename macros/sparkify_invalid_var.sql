{#-
  Fails compilation with a message that names the var, the value and what was expected
  (sparkify_invalid_var_message).
-#}
{% macro sparkify_invalid_var(name, value, expected) %}
  {{ exceptions.raise_compiler_error(sparkify_invalid_var_message(name, value, expected)) }}
{% endmacro %}
