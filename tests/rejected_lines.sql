{#-
  Bad input surfaces here: one row per line a load rejected and has not been fixed since (the
  source load_errors, replaced per file by every load of that file). Warns while there is any,
  however old: a rejection keeps warning until its file is fixed and loaded again. It never fails;
  rejected_lines_of_this_run fails a run whose own files rejected too many lines. The rows name
  file, line, column, code and reason; the load's log lists them too (copy_json … rejected FILE:LINE
  CODE REASON). See docs/bad-input.md.
-#}
-- Runs after both loads: depends_on: {{ ref('stg_sparkify__events') }}, {{ ref('stg_sparkify__songs') }}
{{ config(severity='warn', warn_if='>0') }}

with

load_errors as (

    select * from {{ source('sparkify', 'load_errors') }}

),

rejected as (

    select
        table_name,
        filename,
        line_number,
        colname,
        err_code,
        err_reason,
        raw_field_value
    from load_errors

)

select * from rejected
