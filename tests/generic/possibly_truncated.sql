{#-
  Warn-level check of a landing table, attached to the staging model whose pre-hook loads it (so
  it runs after the load; a window run reads only the days it replaced): the values of its varchar(n) columns that TRUNCATECOLUMNS may have
  cut. Redshift truncates silently to n bytes at a character boundary (the DuckDB loader does
  the same), so a cut value is n bytes long, or n-1 to n-3 bytes when the cut fell inside a
  multibyte character. One row per suspect value: column, width, bytes, value. A value exactly as
  long as its column shows here too: after the load the two cannot be told apart.
    table: a table of source 'sparkify' (staging_events, staging_songs)
-#}
{% test possibly_truncated(model, table) %}
  {%- set columns = [] -%}
  {%- if execute -%}
    {%- set landing = sparkify_landing(table) -%}
    {%- for column in landing.columns -%}
      {%- set m = modules.re.match('^(?:varchar|character varying|nvarchar|char|character|bpchar)\s*\(\s*([0-9]+)\s*\)$', column.data_type | lower | trim) -%}
      {%- if m -%}
        {%- do columns.append({'name': column.name, 'width': m.group(1) | int}) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}

with

{% if columns -%}
landing as (

    select * from {{ sparkify_landing_tested_rows(landing) }}

),

{% endif -%}
suspects as (
{%- for column in columns %}

    select
        '{{ column.name }}' as column_name,
        {{ column.width }} as width,
        {{ sparkify_byte_length(column.name) }} as bytes,
        {{ column.name }} as value
    from landing
    where
        {{ sparkify_byte_length(column.name) }} = {{ column.width }}
        or (
            {{ sparkify_byte_length(column.name) }} > {{ column.width - 4 }}
            and {{ sparkify_byte_length(column.name) }} <> length({{ column.name }})
        )
    {%- if not loop.last %}

    union all
    {%- endif %}
{%- else %}

    select
        null as column_name,
        null as width,
        null as bytes,
        null as value
    where false
{%- endfor %}

)

select * from suspects

{% endtest %}
