"""Generates Sparkify raw data in exactly the real format, at any scale, deterministic by seed.

    python scripts/generate_sparkify_data.py ROOT [--songs N] [--users N] [--days N]
        [--events-per-day N] [--match-fraction F] [--seed N] [--start 2018-11-01]
        [--endpoint-url URL]

ROOT is a local folder or s3://bucket[/prefix] (AWS credentials from the environment; --endpoint-url
or SPARKIFY_S3_ENDPOINT_URL for another S3 endpoint). It writes the S3 layout of s3://udacity-dend/:
song_data/<A>/<B>/<C>/TR….json (one song per file), log_data/YYYY/MM/YYYY-MM-DD-events.json (one
newline-delimited file per UTC day, every event on its file's day) and log_json_path.json.

Format, as measured on the real sample: events carry the 18 keys in the real order, compact
separators, "/" escaped as "\\/", non-ASCII as \\u escapes, userId a string ("" when logged out),
null artist/song/length off NextSong, registration a float, userAgent often wrapped in literal
quotes; song files use ", "/": " separators, year 0 for unknown, "" locations, null coordinates.
A fraction --match-fraction of the plays names a catalogue song exactly (title, artist, duration).
"""

from __future__ import annotations

import argparse
import json
import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

EVENT_KEYS = [
    "artist",
    "auth",
    "firstName",
    "gender",
    "itemInSession",
    "lastName",
    "length",
    "level",
    "location",
    "method",
    "page",
    "registration",
    "sessionId",
    "song",
    "status",
    "ts",
    "userAgent",
    "userId",
]
JSONPATHS = {"jsonpaths": [f"$['{key}']" for key in EVENT_KEYS]}
WORDS = [
    "love",
    "night",
    "heart",
    "fire",
    "dream",
    "blue",
    "road",
    "time",
    "light",
    "rain",
    "gold",
    "city",
    "river",
    "song",
    "dance",
    "wild",
    "Café",
    "Santafè",
    "Mañana",
    "Blåbär",
    "Ça",
    "Über",
    "Niño",
    "Señor",
    "Zoë",
    "Øre",
]
FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dylan",
    "Emma",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kai",
    "Lily",
    "Mateo",
    "Nora",
    "Owen",
    "Ruby",
    "Sam",
    "Théo",
    "Zoë",
    "Åsa",
]
LAST = [
    "Smith",
    "Jones",
    "Lynch",
    "Cruz",
    "Kim",
    "Müller",
    "García",
    "Scott",
    "Brown",
    "Wilson",
    "Haas",
    "Moore",
    "Young",
    "Clark",
    "Kovačić",
]
PLACES = [
    "San Jose-Sunnyvale-Santa Clara, CA",
    "Chicago-Naperville-Elgin, IL-IN-WI",
    "New York-Newark-Jersey City, NY-NJ-PA",
    "Atlanta-Sandy Springs-Roswell, GA",
    "Eureka-Arcata-Fortuna, CA",
    "Portland-Vancouver-Hillsboro, OR-WA",
]
AGENTS = [
    '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) '
    'Chrome/36.0.1985.143 Safari/537.36"',
    '"Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0"',
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 '
    'Chrome/36.0.1985.125 Safari/537.36"',
]
# (page, method, status, weight) for logged-in events other than NextSong.
OTHER_PAGES = [
    ("Home", "GET", 200, 40),
    ("Settings", "GET", 200, 3),
    ("Help", "GET", 200, 3),
    ("About", "GET", 200, 2),
    ("Logout", "PUT", 307, 4),
    ("Save Settings", "PUT", 307, 1),
    ("Error", "GET", 404, 1),
]
LOGGED_OUT_PAGES = [("Home", "GET", 200), ("Login", "PUT", 307), ("About", "GET", 200), ("Help", "GET", 200)]
ALPHANUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Scale:
    songs: int = 100
    users: int = 50
    days: int = 7
    events_per_day: int = 300
    match_fraction: float = 0.2
    seed: int = 42
    start: date = date(2018, 11, 1)


def dump_event(event: dict) -> str:
    return json.dumps(event, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def dump_song(song: dict) -> str:
    return json.dumps(song, ensure_ascii=True, separators=(", ", ": "))


class Writer:
    """Writes text files under a local folder or an s3:// root."""

    def __init__(self, root: str, endpoint_url: str | None = None) -> None:
        self.root = root.rstrip("/")
        self.s3 = None
        if self.root.startswith("s3://"):
            import boto3

            self.bucket, _, self.prefix = self.root.removeprefix("s3://").partition("/")
            self.s3 = boto3.client(
                "s3", endpoint_url=endpoint_url or os.environ.get("SPARKIFY_S3_ENDPOINT_URL") or None
            )

    def write(self, key: str, text: str) -> None:
        if self.s3 is not None:
            full = f"{self.prefix}/{key}".lstrip("/")
            self.s3.put_object(Bucket=self.bucket, Key=full, Body=text.encode("utf-8"))
        else:
            path = Path(self.root) / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def make_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(ALPHANUM) for _ in range(16))


def phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def make_catalogue(rng: random.Random, scale: Scale) -> list[dict]:
    artists = []
    for _ in range(max(1, scale.songs // 3)):
        located = rng.random() < 0.4
        artists.append(
            {
                "artist_id": make_id(rng, "AR"),
                "artist_latitude": round(rng.uniform(-60, 60), 5) if located else None,
                "artist_longitude": round(rng.uniform(-150, 150), 5) if located else None,
                "artist_location": rng.choice(PLACES) if rng.random() < 0.6 else "",
                "artist_name": phrase(rng, rng.randint(1, 2)),
            }
        )
    songs = []
    for _ in range(scale.songs):
        artist = rng.choice(artists)
        songs.append(
            {
                "num_songs": 1,
                **artist,
                "song_id": make_id(rng, "SO"),
                "title": phrase(rng, rng.randint(1, 4)),
                "duration": round(rng.uniform(90, 420), 5),
                "year": 0 if rng.random() < 0.3 else rng.randint(1960, 2010),
                "track_id": make_id(rng, "TRA"),
            }
        )
    return songs


def make_users(rng: random.Random, scale: Scale) -> list[dict]:
    start_ms = int(datetime.combine(scale.start, datetime.min.time(), UTC).timestamp() * 1000)
    return [
        {
            "userId": str(user_id),
            "firstName": rng.choice(FIRST),
            "lastName": rng.choice(LAST),
            "gender": rng.choice("FM"),
            "location": rng.choice(PLACES),
            "userAgent": rng.choice(AGENTS),
            "registration": float(start_ms - rng.randint(1, 60) * 86_400_000 - rng.randint(0, 86_399_999)),
            "level": "paid" if rng.random() < 0.3 else "free",
        }
        for user_id in range(1, scale.users + 1)
    ]


def day_events(rng: random.Random, scale: Scale, day: date, users: list[dict], songs: list[dict], session_id: int):
    """One day's events, in ts order, and the next free session id."""
    day_ms = int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)
    events: list[dict] = []
    while len(events) < scale.events_per_day:
        session_id += 1
        length = min(rng.randint(1, 40), scale.events_per_day - len(events))
        ts = day_ms + rng.randint(0, 86_400_000 - 1)
        step = max(1, (day_ms + 86_400_000 - 1 - ts) // (length + 1))
        user = rng.choice(users) if rng.random() > 0.04 else None
        for item in range(length):
            ts_item = ts + item * rng.randint(1, step)
            ts_item = min(ts_item, day_ms + 86_400_000 - 1)
            events.append(event(rng, scale, user, songs, session_id, item, ts_item))
            ts = ts_item
    events.sort(key=lambda e: (e["ts"], e["sessionId"], e["itemInSession"]))
    return events, session_id


def event(rng: random.Random, scale: Scale, user: dict | None, songs: list[dict], session: int, item: int, ts: int):
    base = dict.fromkeys(EVENT_KEYS)
    base.update(itemInSession=item, sessionId=session, ts=ts)
    if user is None:  # a logged-out visitor
        page, method, status = rng.choice(LOGGED_OUT_PAGES)
        base.update(auth="Logged Out", level=rng.choice(["free", "paid"]), method=method, page=page, status=status)
        base["userId"] = ""
        return base
    if rng.random() < 0.002:  # a level change, seen from the next event on
        user["level"] = "paid" if user["level"] == "free" else "free"
        page = "Submit Upgrade" if user["level"] == "paid" else "Submit Downgrade"
        base.update(page=page, method="PUT", status=307)
    elif rng.random() < 0.82:
        if rng.random() < scale.match_fraction:
            song = rng.choice(songs)
            title, artist, length = song["title"], song["artist_name"], song["duration"]
        else:
            title, artist, length = phrase(rng, rng.randint(1, 4)), phrase(rng, 2), round(rng.uniform(60, 600), 5)
        base.update(artist=artist, song=title, length=length, page="NextSong", method="PUT", status=200)
    else:
        page, method, status, _ = rng.choices(OTHER_PAGES, weights=[p[3] for p in OTHER_PAGES])[0]
        base.update(page=page, method=method, status=status)
    base.update({k: user[k] for k in ("firstName", "lastName", "gender", "location", "userAgent", "registration")})
    base.update(auth="Logged In", level=user["level"], userId=user["userId"])
    return base


def generate(root: str, scale: Scale, endpoint_url: str | None = None) -> dict[str, int]:
    """Writes the data set; returns counts (songs, events, plays, days)."""
    rng = random.Random(scale.seed)
    writer = Writer(root, endpoint_url)
    songs = make_catalogue(rng, scale)
    for song in songs:
        track = song.pop("track_id")
        writer.write(f"song_data/{track[2]}/{track[3]}/{track[4]}/{track}.json", dump_song(song))
    users = make_users(rng, scale)
    session_id, events_total, plays = 0, 0, 0
    for offset in range(scale.days):
        day = scale.start + timedelta(days=offset)
        events, session_id = day_events(rng, scale, day, users, songs, session_id)
        writer.write(f"log_data/{day:%Y/%m/%Y-%m-%d}-events.json", "\n".join(dump_event(e) for e in events))
        events_total += len(events)
        plays += sum(1 for e in events if e["page"] == "NextSong")
    writer.write("log_json_path.json", json.dumps(JSONPATHS, indent=4))
    return {"songs": len(songs), "events": events_total, "plays": plays, "days": scale.days}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--songs", type=int, default=Scale.songs)
    parser.add_argument("--users", type=int, default=Scale.users)
    parser.add_argument("--days", type=int, default=Scale.days)
    parser.add_argument("--events-per-day", type=int, default=Scale.events_per_day)
    parser.add_argument("--match-fraction", type=float, default=Scale.match_fraction)
    parser.add_argument("--seed", type=int, default=Scale.seed)
    parser.add_argument("--start", type=date.fromisoformat, default=Scale.start)
    parser.add_argument("--endpoint-url")
    args = parser.parse_args(argv)
    if not 0 <= args.match_fraction <= 1:
        parser.error(f"--match-fraction {args.match_fraction}: expected a number from 0 to 1")
    for name in ("songs", "users", "days", "events_per_day"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} {getattr(args, name)}: expected a positive number")
    scale = Scale(args.songs, args.users, args.days, args.events_per_day, args.match_fraction, args.seed, args.start)
    counts = generate(args.root, scale, args.endpoint_url)
    print(" ".join(f"{k}={v}" for k, v in counts.items()) + f" root={args.root}")


if __name__ == "__main__":
    main()
