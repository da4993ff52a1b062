"""Malformed vars fail at compile time with a message naming the var and the value."""

from __future__ import annotations

import json

import pytest

CASES = [
    (
        {"data_interval_start": "yesterday", "data_interval_end": "2018-11-15T15:00:00Z"},
        "data_interval_start",
        "yesterday",
    ),
    (
        {"data_interval_start": "2018-11-15T15:00:00Z", "data_interval_end": "2018-11-15T14:00:00Z"},
        "data_interval_end",
        "2018-11-15T14:00:00Z",
    ),
    (
        {"data_interval_start": "2018-11-15T14:00:00Z", "data_interval_end": "2018-11-15T14:00:00Z"},
        "data_interval_end",
        "2018-11-15T14:00:00Z",
    ),
    (
        {"data_interval_start": "2018-02-30T00:00:00Z", "data_interval_end": "2018-03-01T00:00:00Z"},
        "data_interval_start",
        "2018-02-30T00:00:00Z",
    ),
    ({"data_interval_start": "2018-11-15T14:00:00Z"}, "data_interval_end", ""),
    (
        {
            "data_interval_start": "2018-11-15'; drop table staging_events; --",
            "data_interval_end": "2018-11-16",
        },
        "data_interval_start",
        "2018-11-15'; drop table staging_events; --",
    ),
    ({"data_root": "data/sparkify'; drop table x; --"}, "data_root", "data/sparkify'; drop table x; --"),
    ({"data_root": "data/../../etc"}, "data_root", "data/../../etc"),
    ({"data_root": "s3://Bad_Bucket!"}, "data_root", "s3://Bad_Bucket!"),
    ({"events_prefix": "log_data/*"}, "events_prefix", "log_data/*"),
    ({"events_json_option": "auto'"}, "events_json_option", "auto'"),
    ({"iam_role": "my-access-key-id"}, "iam_role", "my-access-key-id"),
    ({"s3_region": "us-west-2' --"}, "s3_region", "us-west-2' --"),
    ({"landing_schema": "raw; drop"}, "landing_schema", "raw; drop"),
    ({"reload_songs": "maybe"}, "reload_songs", "maybe"),
    ({"song_match_tolerance_seconds": "1 or 1=1"}, "song_match_tolerance_seconds", "1 or 1=1"),
    ({"dimension_load_mode": "upsert"}, "dimension_load_mode", "upsert"),
    ({"max_load_errors": "10; drop table load_errors"}, "max_load_errors", "10; drop table load_errors"),
    ({"max_load_errors": "100001"}, "max_load_errors", "100001"),
    ({"load_error_threshold": "-1"}, "load_error_threshold", "-1"),
]


@pytest.mark.parametrize(("vars", "name", "value"), CASES, ids=[f"{c[1]}={c[2]!r}" for c in CASES])
def test_invalid_var_fails_compile_naming_var_and_value(new_warehouse, vars, name, value):
    warehouse = new_warehouse()
    result = warehouse.dbt("compile", "--select", "fct_songplays", vars=vars, window_as_vars=True)
    assert result.returncode != 0
    assert f"Invalid var {name}={json.dumps(value)}" in result.output, result.output[-2000:]
    assert not warehouse.path.exists() or warehouse.query(
        "select count(*) from information_schema.tables where table_name = 'fct_songplays'"
    ) == [(0,)]


def test_valid_window_vars_compile_to_the_window(new_warehouse):
    warehouse = new_warehouse()
    result = warehouse.dbt(
        "compile",
        "--select",
        "fct_songplays",
        vars={
            "data_interval_start": "2018-11-16 01:00:00+02:00",
            "data_interval_end": "2018-11-16T00:00:00Z",
        },
        window_as_vars=True,
    )
    assert result.returncode == 0, result.output[-2000:]
    compiled = next((warehouse.workdir / "target" / "compiled").rglob("fct_songplays.sql")).read_text()
    # +02:00 is converted to UTC: the window is 2018-11-15 23:00-24:00 UTC, so the run's UTC day is the
    # 15th (epoch ms 1542240000000 to 1542326400000), not the 16th of the local time.
    assert "events.event_epoch_ms >= 1542240000000" in compiled
    assert "events.event_epoch_ms < 1542326400000" in compiled
