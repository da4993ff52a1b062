{{ config(dist='all', sort='user_id') }}

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
    where user_id is not null

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
