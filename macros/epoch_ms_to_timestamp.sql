{#- Converts epoch milliseconds (UTC) to a timestamp without time zone, keeping the milliseconds. -#}
{% macro epoch_ms_to_timestamp(column) -%}
  {{ return(adapter.dispatch('epoch_ms_to_timestamp', 'sparkify')(column)) }}
{%- endmacro %}

{#- Redshift (and PostgreSQL): integer seconds plus the millisecond remainder; no float rounding. -#}
{% macro default__epoch_ms_to_timestamp(column) -%}
timestamp 'epoch' + ({{ column }} / 1000) * interval '1 second' + ({{ column }} % 1000) * interval '1 millisecond'
{%- endmacro %}

{% macro duckdb__epoch_ms_to_timestamp(column) -%}
epoch_ms(cast({{ column }} as bigint))
{%- endmacro %}
