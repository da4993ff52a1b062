{#-
  Warn-level check of a landing table, attached to the staging model whose pre-hook loads it (so
  it runs after the load; a window run reads only the days it replaced): rows loaded without a key (a missing or null key in the JSON). They
  stay in the landing table; the staging model cannot identify them and leaves them out. One row
  per such landing row.
    table: a table of source 'sparkify'; key: its key columns
-#}
{% test unkeyed_landing_rows(model, table, key) %}
  {%- set columns = sparkify_landing(table).columns | map(attribute='name') | list if execute else key -%}

with

landing as (

    select * from {{ sparkify_landing_tested_rows(sparkify_landing(table)) if execute else model }}

),

unkeyed as (

    select {{ columns | join(', ') }}
    from landing
    where {{ key | join(' is null or ') }} is null

)

select * from unkeyed

{% endtest %}
