{%- set settings = sparkify_settings() %}
{%- set window = settings.window %}
{{ config(materialized=sparkify_history_dimension_materialization(settings), dist='all', sort='user_id') }}

with

events as (

    select * from {{ ref('stg_sparkify__events') }}

),

ranked_events as (

    select
        user_id,
        first_name,
        last_name,
        gender,
        level,
        row_number() over (
            partition by user_id
            order by event_at desc, session_id desc, item_in_session desc
        ) as recency_rank
    from events
    where
        user_id is not null
    {%- if window is not none and is_incremental() %}
        -- A window run replaced whole UTC days of events: only users with an event on or after
        -- the first of them can have a newer latest event, and that event is on or after it too.
        -- (On the stored epoch-ms column, so DuckDB skips the older row groups.)
        and event_epoch_ms >= {{ window.days_start_ms }}
    {%- endif %}

),

users as (

    select
        user_id,
        first_name,
        last_name,
        gender,
        level
    from ranked_events
    where recency_rank = 1

)

select * from users
