{#-
  The error threshold of bad input: fails when the files this run loaded hold more than var
  load_error_threshold rejected lines. Older rejections (other days' files, the catalogue when a
  window run did not rescan it) do not count: they only warn, in rejected_lines, so they never age
  into a failure of every later run. The files of this run are those of the load plans: in a full
  run every file; in a window run the window's day files, and the catalogue when reload_songs is
  set. See docs/bad-input.md.
-#}
-- Runs after both loads: depends_on: {{ ref('stg_sparkify__events') }}, {{ ref('stg_sparkify__songs') }}
{%- set settings = sparkify_settings() %}
{#- The load plans read the graph: only at execution time (parsing sees no file predicate). -#}
{%- set plans = [] %}
{%- if execute %}
    {%- do plans.append(sparkify_load_plan('staging_events')) %}
    {%- if settings.window is none or settings.reload_songs %}
        {%- do plans.append(sparkify_load_plan('staging_songs')) %}
    {%- endif %}
{%- endif %}
{{ config(
    severity='error',
    warn_if='>' ~ settings.load_error_threshold,
    error_if='>' ~ settings.load_error_threshold
) }}

with

load_errors as (

    select * from {{ source('sparkify', 'load_errors') }}

),

rejected_this_run as (

    select
        table_name,
        filename,
        line_number,
        colname,
        err_code,
        err_reason,
        raw_field_value
    from load_errors
    where
    {%- for plan in plans %}
        {{ sparkify_plan_files_predicate(plan) }}{{ ' or' if not loop.last }}
    {%- else %}
        1 = 0
    {%- endfor %}

)

select * from rejected_this_run
