{%- set settings = sparkify_settings() %}
{%- set window = settings.window %}
{{ config(materialized=sparkify_history_dimension_materialization(settings), dist='start_time', sort='start_time') }}

with

songplays as (

    select * from {{ ref('fct_songplays') }}
    {%- if window is not none and is_incremental() %}
    -- A window run adds the plays of its hour, within the days it loaded: start times from the
    -- first of those days on cover them (and heal an earlier failed hour of the same day).
    where start_time >= cast('{{ window.days[0] }}' as timestamp)
    {%- endif %}

),

start_times as (

    select distinct start_time
    from songplays

),

time_parts as (

    select
        start_time,
        cast(extract(hour from start_time) as integer) as hour,
        cast(extract(day from start_time) as integer) as day,
        cast(extract(week from start_time) as integer) as week,
        cast(extract(month from start_time) as integer) as month,
        cast(extract(year from start_time) as integer) as year,
        cast(extract(dow from start_time) as integer) as weekday
    from start_times

)

select * from time_parts
