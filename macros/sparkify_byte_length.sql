{#- Length of a character expression in bytes (Redshift's varchar(n) counts bytes, not characters). -#}
{% macro sparkify_byte_length(expression) -%}
  {{ return(adapter.dispatch('sparkify_byte_length', 'sparkify')(expression)) }}
{%- endmacro %}

{#- Redshift and PostgreSQL. -#}
{% macro default__sparkify_byte_length(expression) -%}
octet_length({{ expression }})
{%- endmacro %}

{#- DuckDB: strlen counts the bytes of a VARCHAR (octet_length takes BLOB and BIT only). -#}
{% macro duckdb__sparkify_byte_length(expression) -%}
strlen({{ expression }})
{%- endmacro %}
