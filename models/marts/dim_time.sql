{%- set settings = sparkify_settings() %}
{%- set scope = sparkify_merge_scope(settings) %}
{{ config(
    materialized=sparkify_history_dimension_materialization(settings),
    dist='start_time',
    sort='start_time',
    pre_hook="{{ sparkify_delete_merge_scope('start_time') }}"
) }}

with

songplays as (

    select * from {{ ref('fct_songplays') }}
    {%- if scope.kind == 'days' and is_incremental() %}
    -- A window run replaces the UTC days the fact merged (the pre-hook deleted them here first).
    where
        start_time >= cast('{{ scope.start_sql }}' as timestamp)
        and start_time < cast('{{ scope.end_sql }}' as timestamp)
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
