-- Song plays and distinct listeners per hour of day (UTC).
with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

times as (

    select * from {{ ref('dim_time') }}

),

by_hour as (

    select
        times.hour,
        count(*) as plays,
        count(distinct songplays.user_id) as listeners
    from songplays
    inner join times
        on songplays.start_time = times.start_time
    group by times.hour

)

select * from by_hour
order by hour
