{#- NULL for a character value that is empty or only white space (Redshift COPY's BLANKSASNULL + EMPTYASNULL); other values untouched. -#}
{% macro sparkify_blank_as_null(column) -%}
case when trim({{ column }}) = '' then null else {{ column }} end
{%- endmacro %}
