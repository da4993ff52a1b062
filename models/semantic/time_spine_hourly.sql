-- MetricFlow's hourly time spine: every hour of every day of time_spine_daily (UTC). The plays' time
-- dimension has an hourly grain; cumulative and offset metrics by hour join to this spine.
{{ config(materialized='table', dist='all', sort='date_hour') }}

with

days as (

    select * from {{ ref('time_spine_daily') }}

),

digits as (

    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9

),

hours_of_day as (

    select ones.digit + 10 * tens.digit as hour_of_day
    from digits as ones
    cross join digits as tens
    where ones.digit + 10 * tens.digit < 24

),

hours as (

    select
        cast({{ dbt.dateadd('hour', 'hours_of_day.hour_of_day', 'cast(days.date_day as timestamp)') }} as timestamp)
            as date_hour
    from days
    cross join hours_of_day

)

select * from hours
