-- The most played catalogue songs with their artists (plays with no catalogue match are left out).
with

songplays as (

    select * from {{ ref('fct_songplays') }}

),

songs as (

    select * from {{ ref('dim_songs') }}

),

artists as (

    select * from {{ ref('dim_artists') }}

),

song_plays as (

    select
        songs.title,
        artists.name as artist_name,
        count(*) as plays,
        count(distinct songplays.user_id) as listeners
    from songplays
    inner join songs
        on songplays.song_id = songs.song_id
    inner join artists
        on songplays.artist_id = artists.artist_id
    group by songs.title, artists.name

)

select * from song_plays
order by plays desc, title asc
limit 20
