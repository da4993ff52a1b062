{{ config(pre_hook=[before_begin("{{ copy_json('staging_songs') }}")]) }}

with

source as (

    select * from {{ source('sparkify', 'staging_songs') }}

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
    from source

)

select * from cleaned
