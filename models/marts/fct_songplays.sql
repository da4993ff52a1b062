{{
    config(
        materialized='incremental',
        unique_key='songplay_id',
        dist='start_time',
        sort='start_time',
        pre_hook="{{ sparkify_delete_merge_scope('start_time') }}"
    )
}}

{%- set settings = sparkify_settings() %}
{%- set scope = sparkify_merge_scope(settings) %}

with

events as (

    select * from {{ ref('stg_sparkify__events') }}

),

app_pages as (

    select * from {{ ref('app_pages') }}

),

songs as (

    select * from {{ ref('stg_sparkify__songs') }}

),

song_plays as (

    select events.*
    from events
    inner join app_pages
        on events.page = app_pages.page
    where
        app_pages.is_song_play
    {%- if scope.kind == 'days' %}
        -- A window run: every play of the UTC days its load replaced, not only its hour, so late,
        -- corrected and re-sent lines reach the fact (the pre-hook deleted these days first). On
        -- the stored epoch-ms column: DuckDB skips the row groups outside them.
        and events.event_epoch_ms >= {{ scope.start_ms }}
        and events.event_epoch_ms < {{ scope.end_ms }}
    {%- endif %}

),

song_matches as (

    select
        song_plays.event_id,
        songs.song_id,
        songs.artist_id,
        row_number() over (
            partition by song_plays.event_id
            order by abs(songs.duration - song_plays.song_length), songs.song_id
        ) as match_rank
    from song_plays
    inner join songs
        on
            song_plays.song_title = songs.title
            and song_plays.artist_name = songs.artist_name
            and abs(songs.duration - song_plays.song_length) <= {{ settings.song_match_tolerance_seconds }}

),

best_matches as (

    select
        event_id,
        song_id,
        artist_id
    from song_matches
    where match_rank = 1

),

songplays as (

    select
        song_plays.event_id as songplay_id,
        song_plays.event_at as start_time,
        song_plays.user_id,
        song_plays.level,
        best_matches.song_id,
        best_matches.artist_id,
        song_plays.session_id,
        song_plays.location,
        song_plays.user_agent
    from song_plays
    left join best_matches
        on song_plays.event_id = best_matches.event_id

)

select * from songplays
