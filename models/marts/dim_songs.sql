{{ config(dist='all', sort='song_id') }}

with

songs as (

    select * from {{ ref('stg_sparkify__songs') }}

),

dim as (

    select
        song_id,
        title,
        artist_id,
        year,
        duration
    from songs

)

select * from dim
