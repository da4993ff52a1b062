-- One row per listener and UTC hour with at least one play, and the levels they played at in it. The free-to-paid
-- conversion counts its free hours as base events: MetricFlow joins each base row to each conversion row of the
-- listener, so every free play would cost far more for the same result (conversion compares hours).
{{ config(materialized='table', dist='even', sort='played_hour') }}

with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

listener_hours as (

    select
        user_id,
        date_trunc('hour', start_time) as played_hour,
        max(case when level = 'free' then 1 else 0 end) as has_free_play,
        max(case when level = 'paid' then 1 else 0 end) as has_paid_play
    from songplays
    where user_id is not null
    group by 1, 2

)

select * from listener_hours
