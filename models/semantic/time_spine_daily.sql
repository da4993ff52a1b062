-- MetricFlow's daily time spine: one row per UTC day from 2018-01-01, 5,000 days (to 2031-09-09).
-- Built from cross joins of digits: generate_series runs on Redshift's leader node only.
{{ config(materialized='table', dist='all', sort='date_day') }}

with

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

day_numbers as (

    select ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    where thousands.digit < 5

),

days as (

    select cast({{ dbt.dateadd('day', 'day_number', "cast('2018-01-01' as date)") }} as date) as date_day
    from day_numbers

)

select * from days
