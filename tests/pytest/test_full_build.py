"""The main job on the bundled sample: the star schema equals a plain-Python reference of the raw JSON."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from conftest import SAMPLE_ROOT, Warehouse
from reference import build_star, read_events, read_songs
from reliability import day_window, sample_subset, window_vars


@pytest.fixture(scope="module")
def expected():
    events = read_events(SAMPLE_ROOT)
    return events, build_star(events, read_songs(SAMPLE_ROOT))


def test_landing_tables_hold_every_raw_record(full_build: Warehouse, expected):
    events, _ = expected
    assert full_build.query("select count(*) from staging_events")[0][0] == len(events)
    assert full_build.query("select count(*) from staging_songs")[0][0] == len(read_songs(SAMPLE_ROOT))
    # The feed's "" userId is loaded as null (BLANKSASNULL semantics), never as a string.
    blank_user_ids = sum(1 for e in events if e["userId"] == "")
    assert blank_user_ids > 0
    assert full_build.query("select count(*) from staging_events where user_id is null")[0][0] == blank_user_ids


def test_songplays_equal_reference(full_build: Warehouse, expected):
    _, star = expected
    rows = full_build.query(
        "select songplay_id, start_time, user_id, level, song_id, artist_id, session_id, location,"
        " user_agent from fct_songplays"
    )
    assert len(rows) == len(star.songplays)  # every NextSong event is kept, matched or not
    assert {row[0]: row[1:] for row in rows} == star.songplays
    matched = [key for key, value in star.songplays.items() if value[3] is not None]
    assert len(matched) >= 1
    assert full_build.query("select count(*) from fct_songplays where song_id is not null")[0][0] == len(matched)


@pytest.mark.parametrize(
    ("table", "sql", "attribute"),
    [
        ("dim_users", "select user_id, first_name, last_name, gender, level from dim_users", "users"),
        ("dim_songs", "select song_id, title, artist_id, year, duration from dim_songs", "songs"),
        ("dim_artists", "select artist_id, name, location, latitude, longitude from dim_artists", "artists"),
        ("dim_time", "select start_time, hour, day, week, month, year, weekday from dim_time", "time"),
    ],
)
def test_dimensions_equal_reference(full_build: Warehouse, expected, table, sql, attribute):
    _, star = expected
    rows = full_build.query(sql)
    reference = getattr(star, attribute)
    assert len(rows) == len(reference), table
    assert {row[0]: row[1:] for row in rows} == reference


def test_every_quality_check_ran_and_passed(full_build: Warehouse):
    """Every data test and unit test the project defines ran in dbt build, and passed."""
    results = json.loads((full_build.workdir / "build_run_results.json").read_text())["results"]
    manifest = json.loads((full_build.workdir / "build_manifest.json").read_text())
    defined = {uid for uid in manifest["nodes"] if uid.startswith("test.")} | set(manifest["unit_tests"])
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith(("test.", "unit_test."))}
    assert len(defined) > 0
    assert set(ran) == defined
    assert set(ran.values()) == {"pass"}
    statuses = {r["status"] for r in results if not r["unique_id"].startswith(("exposure.", "saved_query."))}
    assert statuses == {"success", "pass"}  # models, seed, hook: success; exposures and saved queries are no-ops
    saved = {r["status"] for r in results if r["unique_id"].startswith("saved_query.")}
    assert saved == {"no-op"}  # dbt-core has no export runner: MetricFlow reads them (sparkify_report)


def test_source_freshness_passes_after_a_load(full_build: Warehouse):
    result = full_build.dbt("source", "freshness")
    assert result.returncode == 0, result.output[-3000:]
    assert result.output.count("PASS freshness of sparkify.") == 2


def test_rerunning_the_full_build_changes_nothing(full_build: Warehouse, tmp_path):
    again = full_build.copy_to(tmp_path / "again")
    before = again.snapshot()
    again.build()
    assert again.snapshot() == before


def test_a_run_on_a_machine_in_another_time_zone_stores_utc(full_build: Warehouse, tmp_path):
    """TZ=America/Los_Angeles (UTC-8 in November): every load time is UTC (it used to be local time,
    8 hours off), and the plays of the day are the ones a UTC machine builds."""
    root = sample_subset(tmp_path / "data", ["2018-11-15"])
    with (root / "log_data" / "2018" / "11" / "2018-11-15-events.json").open("ab") as day_file:
        day_file.write(b"\n{not json")  # one rejected line, so load_errors gets a load time too
    warehouse = Warehouse(tmp_path / "los_angeles")  # its own dbt process: TZ is read at start
    warehouse.workdir.mkdir()
    started = datetime.now(UTC).replace(tzinfo=None)
    warehouse.build(vars={**window_vars(*day_window("2018-11-15")), "data_root": str(root)}, TZ="America/Los_Angeles")
    ended = datetime.now(UTC).replace(tzinfo=None)
    for table in ("staging_events", "staging_songs", "load_errors"):
        [(first, last)] = warehouse.query(f"select min(_loaded_at), max(_loaded_at) from {table}")
        assert started - timedelta(seconds=1) <= first <= last <= ended, (table, first, last, started)
    day_plays = [row for row in full_build.table("fct_songplays") if row[1].date() == date(2018, 11, 15)]
    assert warehouse.table("fct_songplays") == day_plays


def test_merge_mode_dimensions_equal_truncate_insert_mode(full_build: Warehouse, new_warehouse):
    """The original design's insert-mode switch: dimensions upserted by key give the same tables."""
    warehouse: Warehouse = new_warehouse()
    warehouse.build(vars={"dimension_load_mode": "merge"})
    warehouse.build(vars={"dimension_load_mode": "merge"})  # second run merges into existing tables
    assert warehouse.snapshot() == full_build.snapshot()
    listed = warehouse.dbt(
        "ls",
        "--resource-type",
        "model",
        "--output",
        "json",
        "--output-keys",
        "name config",
        vars={"dimension_load_mode": "merge"},
    )
    configs = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    materialized = {c["name"]: c["config"]["materialized"] for c in configs}
    assert materialized == {
        "stg_sparkify__events": "incremental",
        "stg_sparkify__songs": "view",
        "fct_songplays": "incremental",
        "dim_users": "incremental",
        "dim_songs": "incremental",
        "dim_artists": "incremental",
        "dim_time": "incremental",
        "time_spine_daily": "table",  # MetricFlow's spines are static: the switch leaves them tables
        "time_spine_hourly": "table",
        "listener_days": "table",  # the semantic layer's own tables are rebuilt whole
        "listener_hours": "table",
        "paid_stretch_starts": "table",
    }


def test_quality_checks_fail_on_bad_data(full_build: Warehouse, tmp_path):
    """Corrupt a built warehouse: the sql_returns null-count check and the column tests fail dbt test.

    A duplicated key is written (the marts' primary keys are informational on DuckDB, as on Redshift), and the
    unique test is what catches it.
    """
    warehouse = full_build.copy_to(tmp_path / "corrupt")
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute("update dim_users set level = null where user_id = (select min(user_id) from dim_users)")
        con.execute("update dim_songs set title = null where song_id = (select min(song_id) from dim_songs)")
        con.execute("update dim_users set gender = 'X' where user_id = (select max(user_id) from dim_users)")
        duplicate = "insert into dim_songs select * from dim_songs where song_id = (select max(song_id) from dim_songs)"
        con.execute(duplicate)
    result = warehouse.dbt("test", "--select", "dim_users", "dim_songs")
    assert result.returncode == 1
    failed = {line.split(" FAIL ")[1].split()[1] for line in result.output.splitlines() if " FAIL " in line}
    assert "not_null_dim_songs_title" in failed
    assert "unique_dim_songs_song_id" in failed
    assert "accepted_values_dim_users_gender__F__M" in failed
    assert "not_null_dim_users_level" in failed
    assert any(name.startswith("sql_returns_dim_users_0__") for name in failed)


def test_analyses_answer_from_the_built_marts(full_build: Warehouse, expected):
    """Each analysis runs on the built warehouse; the play totals agree with the reference."""
    _, star = expected
    result = full_build.dbt("compile", "--quiet", "--select", "path:analyses")
    assert result.returncode == 0, result.output[-3000:]
    compiled = full_build.workdir / "target" / "compiled" / "sparkify" / "analyses"

    def rows(name: str) -> list[tuple]:
        return full_build.query((compiled / f"{name}.sql").read_text())

    by_hour = rows("plays_by_hour_of_day")
    assert sum(r[1] for r in by_hour) == len(star.songplays)
    assert sorted(r[0] for r in by_hour) == sorted({v[0].hour for v in star.songplays.values()})
    assert sum(r[4] for r in rows("free_vs_paid_by_day")) == len(star.songplays)
    assert len(rows("top_songs_and_artists")) == len({v[3] for v in star.songplays.values() if v[3]})
    busiest = rows("busiest_sessions")
    assert busiest[0][4] == max(
        sum(1 for v in star.songplays.values() if v[5] == session)
        for session in {v[5] for v in star.songplays.values()}
    )
    levels_by_user: dict[int, list] = {}
    for _key, value in sorted(star.songplays.items(), key=lambda kv: (kv[1][1], kv[1][0], kv[0])):
        levels_by_user.setdefault(value[1], []).append(value[2])
    changes = sum(sum(1 for a, b in itertools.pairwise(lv) if a != b) for lv in levels_by_user.values())
    assert len(rows("level_changes")) == changes
