{{ config(pre_hook=[before_begin("{{ copy_json('staging_events') }}")]) }}

with

source as (

    select * from {{ source('sparkify', 'staging_events') }}

),

typed as (

    select
        session_id,
        item_in_session,
        page,
        auth,
        method,
        status,
        length as song_length,
        _loaded_at as loaded_at,
        {{ dbt.hash(dbt.concat([
            "cast(session_id as " ~ dbt.type_string() ~ ")", "'-'",
            "cast(item_in_session as " ~ dbt.type_string() ~ ")"])) }} as event_id,
        {{ epoch_ms_to_timestamp('ts') }} as event_at,
        ts as event_epoch_ms,
        cast({{ sparkify_blank_as_null('user_id') }} as integer) as user_id,
        {{ sparkify_blank_as_null('first_name') }} as first_name,
        {{ sparkify_blank_as_null('last_name') }} as last_name,
        {{ sparkify_blank_as_null('gender') }} as gender,
        {{ sparkify_blank_as_null('level') }} as level,
        {{ sparkify_blank_as_null('location') }} as location,
        {{ sparkify_blank_as_null('user_agent') }} as user_agent,
        {{ epoch_ms_to_timestamp('cast(registration as bigint)') }} as registered_at,
        {{ sparkify_blank_as_null('artist') }} as artist_name,
        {{ sparkify_blank_as_null('song') }} as song_title
    from source

),

unquoted as (

    select
        event_id,
        session_id,
        item_in_session,
        event_at,
        event_epoch_ms,
        user_id,
        first_name,
        last_name,
        gender,
        level,
        location,
        registered_at,
        page,
        auth,
        method,
        status,
        artist_name,
        song_title,
        song_length,
        loaded_at,
        case
            when length(user_agent) >= 2 and left(user_agent, 1) = '"' and right(user_agent, 1) = '"'
                then substring(user_agent, 2, length(user_agent) - 2)
            else user_agent
        end as user_agent
    from typed

)

select * from unquoted
