{#- Materialised once per run, by UTC day like the fact, so that no test or model of a window run
    re-evaluates the de-duplication over the whole history: a window run deletes the days its load
    replaced and inserts them again; a full run replaces everything. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        dist='event_id',
        sort='event_at',
        pre_hook=[
            before_begin("{{ copy_json('staging_events') }}"),
            "{{ sparkify_delete_merge_scope('event_at') }}",
        ]
    )
}}

{%- set scope = sparkify_merge_scope(sparkify_settings()) %}

with

source as (

    select * from {{ source('sparkify', 'staging_events') }}
    {%- if is_incremental() and scope.kind == 'days' %}
    -- The landing rows of the replaced days: the load keeps every row of a day file inside its
    -- UTC day (docs/bad-input.md), so an event's copies never span two days of one window.
    where ts >= {{ scope.start_ms }} and ts < {{ scope.end_ms }}
    {%- endif %}

),

duplicated_keys as (

    -- An event is keyed by (session_id, item_in_session); events without a key are left out (a
    -- warn-level test counts them). The same event loaded twice (e.g. in two files) is kept once.
    -- Only the few duplicated keys go through the window below: ranking every event would cost a
    -- sort of the whole log in every query of this view.
    select
        session_id,
        item_in_session
    from source
    where session_id is not null and item_in_session is not null
    group by session_id, item_in_session
    having count(*) > 1

),

single_copies as (

    select
        source.artist,
        source.auth,
        source.first_name,
        source.gender,
        source.item_in_session,
        source.last_name,
        source.length,
        source.level,
        source.location,
        source.method,
        source.page,
        source.registration,
        source.session_id,
        source.song,
        source.status,
        source.ts,
        source.user_agent,
        source.user_id,
        source._loaded_at
    from source
    left join duplicated_keys
        on
            source.session_id = duplicated_keys.session_id
            and source.item_in_session = duplicated_keys.item_in_session
    where
        source.session_id is not null
        and source.item_in_session is not null
        and duplicated_keys.session_id is null

),

ranked_copies as (

    -- Deterministic whatever the load order, so window runs in any order end like a full build:
    -- the latest ts, then the values in a fixed order (never the load time).
    select
        source.artist,
        source.auth,
        source.first_name,
        source.gender,
        source.item_in_session,
        source.last_name,
        source.length,
        source.level,
        source.location,
        source.method,
        source.page,
        source.registration,
        source.session_id,
        source.song,
        source.status,
        source.ts,
        source.user_agent,
        source.user_id,
        source._loaded_at,
        row_number() over (
            partition by source.session_id, source.item_in_session
            order by
                source.ts desc nulls last,
                source.page asc nulls last,
                source.user_id asc nulls last,
                source.level asc nulls last,
                source.song asc nulls last,
                source.artist asc nulls last,
                source.length asc nulls last,
                source.first_name asc nulls last,
                source.last_name asc nulls last,
                source.gender asc nulls last,
                source.location asc nulls last,
                source.auth asc nulls last,
                source.method asc nulls last,
                source.status asc nulls last,
                source.registration asc nulls last,
                source.user_agent asc nulls last
        ) as copy_rank
    from source
    inner join duplicated_keys
        on
            source.session_id = duplicated_keys.session_id
            and source.item_in_session = duplicated_keys.item_in_session

),

deduplicated as (

    select
        artist,
        auth,
        first_name,
        gender,
        item_in_session,
        last_name,
        length,
        level,
        location,
        method,
        page,
        registration,
        session_id,
        song,
        status,
        ts,
        user_agent,
        user_id,
        _loaded_at
    from single_copies
    union all
    select
        artist,
        auth,
        first_name,
        gender,
        item_in_session,
        last_name,
        length,
        level,
        location,
        method,
        page,
        registration,
        session_id,
        song,
        status,
        ts,
        user_agent,
        user_id,
        _loaded_at
    from ranked_copies
    where copy_rank = 1

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
    from deduplicated

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
