-- One row per listener and UTC hour that starts a stretch of paid plays: their first hour with a paid play, or
-- the first hour with one after an hour with a free play (the same hour included). The free-to-paid conversion
-- counts these against free hours (listener_hours). Exact: every later paid hour of a stretch has the same latest
-- free hour before it as the stretch's start, and is inside its 30-day window only if the start is. MetricFlow
-- joins each base row to each conversion row of the listener, so counting every paid play instead costs free
-- plays times paid plays per listener (at 1M events, minutes and gigabytes).
{{ config(materialized='table', dist='even', sort='started_at') }}

with

listener_hours as (

    select * from {{ ref('listener_hours') }}

),

with_history as (

    select
        user_id,
        played_hour,
        has_paid_play,
        max(case when has_free_play = 1 then played_hour end) over (
            partition by user_id order by played_hour rows between unbounded preceding and current row
        ) as latest_free_hour,
        max(case when has_paid_play = 1 then played_hour end) over (
            partition by user_id order by played_hour rows between unbounded preceding and 1 preceding
        ) as previous_paid_hour
    from listener_hours

),

stretch_starts as (

    select
        user_id,
        played_hour as started_at
    from with_history
    where
        has_paid_play = 1
        and (previous_paid_hour is null or latest_free_hour > previous_paid_hour)

)

select * from stretch_starts
