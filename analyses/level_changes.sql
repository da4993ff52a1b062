-- Users whose subscription level changed between plays: each change with when it was first seen.
with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

with_previous as (

    select
        user_id,
        start_time,
        level,
        lag(level) over (partition by user_id order by start_time, songplay_id) as previous_level
    from songplays

),

changes as (

    select
        user_id,
        start_time as changed_at,
        previous_level,
        level
    from with_previous
    where previous_level is not null and level <> previous_level

)

select * from changes
order by user_id, changed_at
