{{ config(dist='start_time', sort='start_time') }}

with

songplays as (

    select * from {{ ref('fct_songplays') }}

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
