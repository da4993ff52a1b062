"""A plain-Python reference of the star schema, computed from the raw JSON files.

The tests compare what dbt built against this, so the expected figures are derived from the data
independently of SQL, never pasted from a dbt run. It implements the documented rules: NextSong is
a play, blank strings are null, quotes around userAgent are stripped, songs match on title + artist
name + duration within a tolerance (closest wins, then lowest song_id), a user's level is the one
of their latest event, an artist's row is the most complete one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

EPOCH = datetime(1970, 1, 1)


def blank_as_null(value):
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def ms_to_timestamp(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def strip_quotes(agent: str | None) -> str | None:
    if agent is not None and len(agent) >= 2 and agent[0] == '"' and agent[-1] == '"':
        return agent[1:-1]
    return agent


def read_events(root: Path, days: list[str] | None = None) -> list[dict]:
    """Every event under log_data/, or only those of the given YYYY-MM-DD day files."""
    events = []
    for path in sorted((root / "log_data").rglob("*.json")):
        if days is not None and path.name.removesuffix("-events.json") not in days:
            continue
        with path.open(encoding="utf-8") as handle:
            events.extend(json.loads(line) for line in handle if line.strip())
    return events


def read_songs(root: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "song_data").rglob("*.json"))]


@dataclass
class Star:
    songplays: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    songs: dict = field(default_factory=dict)
    artists: dict = field(default_factory=dict)
    time: dict = field(default_factory=dict)


def songplay_id(event: dict) -> str:
    return hashlib.md5(f"{event['sessionId']}-{event['itemInSession']}".encode()).hexdigest()


def build_star(
    events: list[dict],
    songs: list[dict],
    tolerance: float = 1.0,
    window: tuple[datetime, datetime] | None = None,
) -> Star:
    star = Star()
    for song in songs:
        star.songs[song["song_id"]] = (
            song["title"],
            song["artist_id"],
            song["year"] or None,
            song["duration"],
        )
    ranked = sorted(
        songs,
        key=lambda s: (
            blank_as_null(s["artist_location"]) is None,
            s["artist_latitude"] is None,
            s["song_id"],
        ),
    )
    for song in ranked:
        star.artists.setdefault(
            song["artist_id"],
            (
                song["artist_name"],
                blank_as_null(song["artist_location"]),
                song["artist_latitude"],
                song["artist_longitude"],
            ),
        )

    for event in events:
        if event["page"] != "NextSong":
            continue
        start = ms_to_timestamp(event["ts"])
        if window and not (window[0] <= start < window[1]):
            continue
        candidates = sorted(
            (abs(s["duration"] - event["length"]), s["song_id"], s["artist_id"])
            for s in songs
            if s["title"] == event["song"]
            and s["artist_name"] == event["artist"]
            and abs(s["duration"] - event["length"]) <= tolerance
        )
        song_id, artist_id = (candidates[0][1], candidates[0][2]) if candidates else (None, None)
        star.songplays[songplay_id(event)] = (
            start,
            int(event["userId"]),
            event["level"],
            song_id,
            artist_id,
            event["sessionId"],
            blank_as_null(event["location"]),
            strip_quotes(blank_as_null(event["userAgent"])),
        )
        star.time[start] = (
            start.hour,
            start.day,
            start.isocalendar()[1],
            start.month,
            start.year,
            start.isoweekday() % 7,
        )

    latest = sorted(
        (e for e in events if blank_as_null(e["userId"]) is not None),
        key=lambda e: (e["ts"], e["sessionId"], e["itemInSession"]),
    )
    for event in latest:  # later events overwrite earlier ones
        star.users[int(event["userId"])] = (
            blank_as_null(event["firstName"]),
            blank_as_null(event["lastName"]),
            blank_as_null(event["gender"]),
            event["level"],
        )
    return star
