{#-
  Parses an ISO-8601 timestamp (as Airflow renders a data interval) into a naive UTC datetime.
  A value without an offset is taken as UTC. Returns none for anything else, including impossible
  dates, so no Python exception ever surfaces unexplained: the caller names the var.
-#}
{% macro sparkify_parse_timestamp(value) %}
  {%- set dt = modules.datetime -%}
  {%- set m = modules.re.fullmatch('^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$', value) -%}
  {%- if not m -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set y, mo, d = m.group(1) | int, m.group(2) | int, m.group(3) | int -%}
  {%- set h, mi, sec = (m.group(4) or 0) | int, (m.group(5) or 0) | int, (m.group(6) or 0) | int -%}
  {%- if y < 1970 or mo < 1 or mo > 12 or d < 1 or h > 23 or mi > 59 or sec > 59 -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set next_month = dt.date(y + 1, 1, 1) if mo == 12 else dt.date(y, mo + 1, 1) -%}
  {%- if d > (next_month - dt.timedelta(days=1)).day -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set parsed = dt.datetime.fromisoformat(value.replace('Z', '+00:00')) -%}
  {%- if parsed.tzinfo is not none -%}
    {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
  {%- endif -%}
  {{ return(parsed) }}
{% endmacro %}
