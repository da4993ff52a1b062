-- The sessions with the most plays, with their user and duration (UTC).
with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

sessions as (

    select
        songplays.session_id,
        songplays.user_id,
        count(*) as plays,
        min(songplays.start_time) as first_play_at,
        max(songplays.start_time) as last_play_at
    from songplays
    group by songplays.session_id, songplays.user_id

),

named as (

    select
        sessions.session_id,
        sessions.user_id,
        users.first_name,
        users.last_name,
        sessions.plays,
        sessions.first_play_at,
        sessions.last_play_at
    from sessions
    left join users
        on sessions.user_id = users.user_id

)

select * from named
order by plays desc, session_id asc
limit 20
