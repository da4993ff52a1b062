"""The data generator writes the real format, deterministically, and its output loads unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR, SAMPLE_ROOT, Warehouse, create_bucket
from reference import build_star, read_events, read_songs

GENERATOR = PROJECT_DIR / "scripts" / "generate_sparkify_data.py"
SMALL = ["--songs", "60", "--users", "25", "--days", "3", "--events-per-day", "400", "--match-fraction", "0.5"]


def generate(root, *args: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), str(root), *SMALL, *args],
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def files(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.json"))}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    generate(root, "--seed", "7")
    return root


def test_same_seed_same_bytes_other_seed_other_data(generated, tmp_path):
    generate(tmp_path / "again", "--seed", "7")
    generate(tmp_path / "other", "--seed", "8")
    assert files(tmp_path / "again") == files(generated)
    assert files(tmp_path / "other") != files(generated)


def test_layout_and_format_match_the_real_sample(generated):
    real_event = json.loads(next(SAMPLE_ROOT.glob("log_data/*/*/*.json")).open().readline())
    days = sorted(p.name for p in (generated / "log_data").rglob("*.json"))
    assert days == ["2018-11-01-events.json", "2018-11-02-events.json", "2018-11-03-events.json"]
    raw = (generated / "log_data/2018/11/2018-11-02-events.json").read_text()
    assert not raw.endswith("\n")  # like the real files: no newline after the last event
    real_line = next(SAMPLE_ROOT.glob("log_data/*/*/*.json")).open().readline().rstrip("\n")
    for line in (real_line, raw.splitlines()[0]):  # compact JSON, "/" escaped, \u escapes: the real bytes
        assert json.dumps(json.loads(line), separators=(",", ":")).replace("/", "\\/") == line
    events = [json.loads(line) for line in raw.splitlines()]
    assert len(events) == 400
    for event in events:
        assert list(event) == list(real_event)  # the 18 keys, in the real order
        assert isinstance(event["userId"], str)
        assert isinstance(event["ts"], int)
        day_start = 1541116800000  # 2018-11-02T00:00Z
        assert day_start <= event["ts"] < day_start + 86_400_000
        if event["page"] == "NextSong":
            assert event["userId"]
            assert event["song"]
            assert event["artist"]
            assert isinstance(event["length"], float)
        else:
            assert event["song"] is None
            assert event["length"] is None
    assert any(e["userId"] == "" for e in events)
    assert any(e["userAgent"] and e["userAgent"].startswith('"') for e in events)
    assert all(isinstance(e["registration"], float) for e in events if e["userId"])
    pairs = [(e["sessionId"], e["itemInSession"]) for e in events]
    assert len(set(pairs)) == len(pairs)
    song_file = next((generated / "song_data").rglob("TR*.json"))
    real_song = json.loads(next(SAMPLE_ROOT.glob("song_data/**/*.json")).read_text())
    assert list(json.loads(song_file.read_text())) == list(real_song)
    assert song_file.parent.relative_to(generated / "song_data").parts == tuple(song_file.stem[2:5])
    assert (generated / "log_json_path.json").read_text().count("$['") == 18
    assert any("\\u" in p.read_text() for p in (generated / "song_data").rglob("*.json"))


def test_generated_data_loads_through_the_pipeline_unchanged(generated, new_warehouse):
    warehouse: Warehouse = new_warehouse()
    warehouse.build(vars={"data_root": str(generated)})
    events, songs = read_events(generated), read_songs(generated)
    star = build_star(events, songs)
    assert warehouse.query("select count(*) from staging_events")[0][0] == len(events)
    rows = warehouse.query("select songplay_id, song_id from fct_songplays")
    assert {r[0]: r[1] for r in rows} == {k: v[3] for k, v in star.songplays.items()}
    matched = sum(1 for v in star.songplays.values() if v[3])
    assert 0.35 < matched / len(star.songplays) < 0.65  # --match-fraction 0.5
    assert warehouse.query("select count(*) from dim_users")[0][0] == len(star.users)


def test_writes_to_an_s3_root(generated, s3_endpoint, s3_client):
    from conftest import CREDENTIALS

    create_bucket(s3_client, "generated-data")
    out = generate("s3://generated-data/raw", "--seed", "7", SPARKIFY_S3_ENDPOINT_URL=s3_endpoint, **CREDENTIALS)
    assert "root=s3://generated-data/raw" in out
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket="generated-data", MaxKeys=1000)["Contents"]}
    assert keys == {f"raw/{k}" for k in files(generated)}
    body = s3_client.get_object(Bucket="generated-data", Key="raw/log_data/2018/11/2018-11-01-events.json")["Body"]
    assert body.read() == (generated / "log_data/2018/11/2018-11-01-events.json").read_bytes()
