-- One row per listener and UTC day they played on: the 7-day window of weekly active listeners counts these,
-- not every play (MetricFlow joins each row to the 7 spine days it counts for).
{{ config(materialized='table', dist='even', sort='played_on') }}

with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

listener_days as (

    select
        user_id,
        cast(start_time as date) as played_on,
        count(*) as plays
    from songplays
    where user_id is not null
    group by 1, 2

)

select * from listener_days
