"""The hourly contract (issue 10, docs/hourly-contract.md): given the same final files, any sequence of
window runs ends equal to a full build of those files, table by table (every row of the landing
tables, the fact and every dimension; load times left out), whatever happened to the files between
the runs: a day file that grows, a line corrected in place, a day file removed then re-sent, a song
added to the catalogue and reloaded with reload_songs. On DuckDB (a local data root) and on the
Redshift harness (the same files mirrored into its S3 bucket after every change, loaded by COPY).

Each scenario first shows that it can fail: the warehouse before its last run differs from the full
build in the way the scenario describes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import HARNESS_BUCKET, SAMPLE_ROOT, Warehouse
from reference import songplay_id
from reliability import BUILD, duplicate_keys, run_build, run_window, sample_subset, snapshot_differences, window_vars

DAY = "2018-11-15"
DAY_KEY = Path("log_data/2018/11/2018-11-15-events.json")


def hour(day: str, h: int) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(f"{day}T{h:02d}:00:00")
    return start, start.replace(hour=h + 1)


def day_lines(day: str = DAY) -> list[bytes]:
    """The sample's day file as its lines (it has no final newline)."""
    return (SAMPLE_ROOT / "log_data" / day[:4] / day[5:7] / f"{day}-events.json").read_bytes().split(b"\n")


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines))


def event_hour(line: bytes) -> int:
    return datetime.fromtimestamp(json.loads(line)["ts"] / 1000, UTC).hour


def is_play(line: bytes) -> bool:
    return json.loads(line)["page"] == "NextSong"


def songplay_ids(warehouse: Warehouse) -> set[str]:
    return {row[0] for row in warehouse.query("select songplay_id from fct_songplays")}


@dataclass
class Engine:
    """Warehouses of one engine, and the data root its runs read: a local folder (DuckDB) or its mirror
    in the harness's S3 bucket (Redshift), refreshed by sync() after every change of the files."""

    new_warehouse: Callable[[str], Warehouse]
    root: Path
    data_root: str
    mirror: Callable[[], None] | None = None

    def sync(self) -> None:
        if self.mirror:
            self.mirror()


@pytest.fixture(params=["duckdb", "redshift"])
def engine(request, tmp_path: Path) -> Engine:
    root = tmp_path / "data"
    if request.param == "duckdb":
        return Engine(request.getfixturevalue("new_warehouse"), root, str(root))
    s3_client = request.getfixturevalue("s3_client")
    prefix = f"convergence/{tmp_path.name}"

    def mirror() -> None:
        listed = s3_client.list_objects_v2(Bucket=HARNESS_BUCKET, Prefix=f"{prefix}/").get("Contents", [])
        for item in listed:
            s3_client.delete_object(Bucket=HARNESS_BUCKET, Key=item["Key"])
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            s3_client.upload_file(str(path), HARNESS_BUCKET, f"{prefix}/{path.relative_to(root).as_posix()}")

    return Engine(request.getfixturevalue("new_redshift_warehouse"), root, f"s3://{HARNESS_BUCKET}/{prefix}", mirror)


def window(engine: Engine, warehouse: Warehouse, day: str, h: int, **extra) -> None:
    """The hourly DAG's run of that hour, on the files as they are now."""
    engine.sync()
    run_window(warehouse, *hour(day, h), data_root=engine.data_root, **extra)


def full_build(engine: Engine) -> Warehouse:
    """The reference: one full build of the final files on an empty warehouse."""
    engine.sync()
    full = engine.new_warehouse("full")
    run_build(full, {"data_root": engine.data_root}, "full build")
    return full


def assert_converged(hourly: Warehouse, full: Warehouse) -> None:
    assert duplicate_keys(hourly) == {}
    assert snapshot_differences(hourly.snapshot(), full.snapshot()) == {}
    assert hourly.query("select count(*) from load_errors") == full.query("select count(*) from load_errors")


def test_a_day_file_that_grows_between_two_hourly_runs(engine: Engine):
    """The issue's case: three plays stamped 14:xx are appended after the 14-15 run; later runs must
    bring them into the fact (they used to stay out: 56 plays for 14:00-17:00 against 59)."""
    root = sample_subset(engine.root, [DAY])
    lines = day_lines()
    late = [line for line in lines if is_play(line) and event_hour(line) == 14][-3:]
    on_time = [line for line in lines if event_hour(line) < 15 and line not in late]
    hourly = engine.new_warehouse("hourly")

    write_lines(root / DAY_KEY, on_time)
    window(engine, hourly, DAY, 14)
    write_lines(root / DAY_KEY, lines)  # the late plays and the rest of the day arrive
    window(engine, hourly, DAY, 15)
    window(engine, hourly, DAY, 16)

    full = full_build(engine)
    late_ids = {
        row[0] for row in full.query("select songplay_id from fct_songplays where extract(hour from start_time) = 14")
    }
    assert len(late_ids) == sum(1 for line in lines if is_play(line) and event_hour(line) == 14)
    assert late_ids <= songplay_ids(hourly)
    assert_converged(hourly, full)


def test_a_line_corrected_in_place(engine: Engine):
    """The first version of the day file has a cut line (rejected), a user's last event with the wrong
    level and a Home event sent as a play; the corrected file replaces it in place. The next hour's
    run must load the fixed line, give the user the right level and drop the false play."""
    root = sample_subset(engine.root, [DAY])
    lines = day_lines()
    plays = [i for i, line in enumerate(lines) if is_play(line) and event_hour(line) < 12]
    cut, home = plays[0], next(i for i, line in enumerate(lines) if json.loads(line)["page"] == "Home")
    last_of_user = {json.loads(line)["userId"]: i for i, line in enumerate(lines) if json.loads(line)["userId"]}
    level_fixed = max(last_of_user.values())
    wrong = list(lines)
    wrong[cut] = lines[cut][:40]
    record = json.loads(lines[level_fixed])
    wrong[level_fixed] = json.dumps({**record, "level": "free" if record["level"] == "paid" else "paid"}).encode()
    record = json.loads(lines[home])
    wrong[home] = json.dumps({**record, "page": "NextSong", "song": "Yellow", "artist": "Coldplay", "length": 266.3})
    wrong[home] = wrong[home].encode()

    hourly = engine.new_warehouse("hourly")
    write_lines(root / DAY_KEY, wrong)
    window(engine, hourly, DAY, 14)
    assert hourly.query("select line_number from load_errors") == [(cut + 1,)]
    before = hourly.snapshot()
    write_lines(root / DAY_KEY, lines)  # corrected in place
    window(engine, hourly, DAY, 15)

    full = full_build(engine)
    expected = full.snapshot()
    assert {"fct_songplays", "dim_users", "dim_time"} <= set(snapshot_differences(before, expected))
    assert hourly.query("select count(*) from load_errors") == [(0,)]
    assert_converged(hourly, full)


def test_a_day_file_removed_then_re_sent(engine: Engine):
    """The day file disappears after the 14-15 run: the 15-16 run fails loudly and changes nothing.
    Upstream re-sends it without one play (withdrawn) and with the rest of the day; the next run must
    drop the withdrawn play and load the rest."""
    root = sample_subset(engine.root, [DAY])
    lines = day_lines()
    withdrawn = next(line for line in lines if is_play(line) and event_hour(line) < 14)
    hourly = engine.new_warehouse("hourly")

    write_lines(root / DAY_KEY, [line for line in lines if event_hour(line) < 15])
    window(engine, hourly, DAY, 14)
    assert songplay_id(json.loads(withdrawn)) in songplay_ids(hourly)
    before = hourly.snapshot()
    (root / DAY_KEY).unlink()
    engine.sync()
    result = hourly.dbt(*BUILD, vars=window_vars(*hour(DAY, 15), data_root=engine.data_root))
    assert result.returncode != 0
    assert re.search(rf"The specified S3 prefix '[^']*{DAY_KEY}' does not exist", result.output), result.output[-3000:]
    assert snapshot_differences(hourly.snapshot(), before) == {}

    write_lines(root / DAY_KEY, [line for line in lines if line != withdrawn])  # re-sent
    window(engine, hourly, DAY, 16)
    full = full_build(engine)
    day_plays = full.query(f"select count(*) from fct_songplays where cast(start_time as date) = '{DAY}'")
    assert day_plays == [(sum(1 for line in lines if is_play(line)) - 1,)]
    assert_converged(hourly, full)


def test_reload_songs_matches_earlier_plays_to_a_new_song(engine: Engine):
    """Two days run while the catalogue lacks a song their plays name; the song is added, and the next
    hourly run sets reload_songs: the plays of the earlier days get its song_id and artist_id."""
    days = ["2018-11-14", DAY, "2018-11-16"]
    root = sample_subset(engine.root, days)
    title, artist, length = "You're The One", "Dwight Yoakam", 239.3073  # played on the 14th and the 15th
    song = {
        "num_songs": 1,
        "artist_id": "ARNEWSONG1187B9A0001",
        "artist_latitude": None,
        "artist_longitude": None,
        "artist_location": "Pikeville, KY",
        "artist_name": artist,
        "song_id": "SONEWSONG12AB0000001",
        "title": title,
        "duration": length,
        "year": 1990,
    }
    hourly = engine.new_warehouse("hourly")
    for day in days[:2]:
        window(engine, hourly, day, 10)
    song_file = root / "song_data" / "Z" / "Z" / "Z" / "TRZZZZZ128F0000001.json"
    song_file.parent.mkdir(parents=True)
    song_file.write_text(json.dumps(song))
    before = hourly.query(f"select count(*) from fct_songplays where song_id = '{song['song_id']}'")
    window(engine, hourly, days[2], 10, reload_songs=True)

    full = full_build(engine)
    matched = full.query(
        f"select cast(start_time as date), count(*) from fct_songplays where song_id = '{song['song_id']}' "
        "group by 1 order by 1"
    )
    assert [str(day) for day, _ in matched] == days[:2], matched  # plays of the days run before it was added
    assert before == [(0,)]
    assert_converged(hourly, full)
