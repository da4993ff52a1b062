{#-
  The current time as a UTC timestamp without time zone, whatever the machine's or session's time
  zone: what every stored load time (_loaded_at) holds. Dispatched because the engines differ:
  Redshift's getdate() is UTC already; DuckDB's now() is a timestamptz that a plain cast would turn
  into the session's (the machine's TZ) local time.
-#}
{% macro sparkify_utc_now() -%}
  {{ return(adapter.dispatch('sparkify_utc_now', 'sparkify')()) }}
{%- endmacro %}

{% macro default__sparkify_utc_now() -%}
{{ dbt.current_timestamp() }}
{%- endmacro %}

{% macro duckdb__sparkify_utc_now() -%}
(now() at time zone 'UTC')
{%- endmacro %}
