-- Plays and active users per day and subscription level at the time of the play.
with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

times as (

    select * from {{ ref('dim_time') }}

),

daily as (

    select
        times.year,
        times.month,
        times.day,
        songplays.level,
        count(*) as plays,
        count(distinct songplays.user_id) as active_users
    from songplays
    inner join times
        on songplays.start_time = times.start_time
    group by times.year, times.month, times.day, songplays.level

)

select * from daily
order by year, month, day, level
