{{ config(dist='all', sort='artist_id') }}

with

songs as (

    select * from {{ ref('stg_sparkify__songs') }}

),

ranked_artists as (

    -- An artist appears once per song; keep the most complete description, ties by song_id.
    select
        artist_id,
        artist_name,
        artist_location,
        artist_latitude,
        artist_longitude,
        row_number() over (
            partition by artist_id
            order by
                case when artist_location is null then 1 else 0 end,
                case when artist_latitude is null then 1 else 0 end,
                song_id
        ) as completeness_rank
    from songs

),

artists as (

    select
        artist_id,
        artist_name as name,
        artist_location as location,
        artist_latitude as latitude,
        artist_longitude as longitude
    from ranked_artists
    where completeness_rank = 1

)

select * from artists
