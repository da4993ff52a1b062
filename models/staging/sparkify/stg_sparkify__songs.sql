{{ config(pre_hook=[before_begin("{{ copy_json('staging_songs') }}")]) }}

with

source as (

    select * from {{ source('sparkify', 'staging_songs') }}

),

ranked_copies as (

    -- A song is keyed by song_id; songs without one are left out (a warn-level source test counts
    -- them). A song_id loaded twice (two files, or two objects in one file) is kept once,
    -- deterministically: the latest load, then the values in a fixed order.
    select
        num_songs,
        artist_id,
        artist_latitude,
        artist_longitude,
        artist_location,
        artist_name,
        song_id,
        title,
        duration,
        year,
        _loaded_at,
        row_number() over (
            partition by song_id
            order by
                _loaded_at desc nulls last,
                title asc nulls last,
                artist_id asc nulls last,
                artist_name asc nulls last,
                duration asc nulls last,
                year asc nulls last,
                artist_location asc nulls last,
                artist_latitude asc nulls last,
                artist_longitude asc nulls last,
                num_songs asc nulls last
        ) as copy_rank
    from source
    where song_id is not null

),

deduplicated as (

    select
        num_songs,
        artist_id,
        artist_latitude,
        artist_longitude,
        artist_location,
        artist_name,
        song_id,
        title,
        duration,
        year,
        _loaded_at
    from ranked_copies
    where copy_rank = 1

),

cleaned as (

    select
        song_id,
        title,
        artist_id,
        artist_name,
        {{ sparkify_blank_as_null('artist_location') }} as artist_location,
        artist_latitude,
        artist_longitude,
        duration,
        case when year = 0 then null else year end as year,
        _loaded_at as loaded_at
    from deduplicated

)

select * from cleaned
