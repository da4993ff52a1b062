{#-
  Warn-level check of a landing table, attached to the staging model whose pre-hook loads it (so
  it runs after the load; a window run reads only the days it replaced): keys loaded more than once (the same event or song in two files, or
  twice in one file). The landing table keeps every copy; the staging model keeps one. One row per
  duplicated key, with its number of copies. Rows with a null key part are left to
  unkeyed_landing_rows.
    table: a table of source 'sparkify'; key: its key columns
-#}
{% test duplicate_landing_rows(model, table, key) %}

with

landing as (

    select * from {{ sparkify_landing_tested_rows(sparkify_landing(table)) if execute else model }}

),

duplicates as (

    select
        {{ key | join(', ') }},
        count(*) as copies
    from landing
    where {{ key | join(' is not null and ') }} is not null
    group by {{ key | join(', ') }}
    having count(*) > 1

)

select * from duplicates

{% endtest %}
