"""The source declaration drives both engines, so it must agree with the data and the JSONPaths file."""

from __future__ import annotations

import json

import yaml
from conftest import PROJECT_DIR, SAMPLE_ROOT

SOURCES = PROJECT_DIR / "models" / "staging" / "sparkify" / "_sparkify__sources.yml"


def declared_columns(table: str) -> list[dict]:
    source = yaml.safe_load(SOURCES.read_text())["sources"][0]
    return next(t for t in source["tables"] if t["name"] == table)["columns"]


def test_events_columns_follow_the_jsonpaths_file_in_order():
    paths = json.loads((SAMPLE_ROOT / "log_json_path.json").read_text())["jsonpaths"]
    keys = [c["meta"]["json_key"] for c in declared_columns("staging_events") if c["meta"]["json_key"]]
    assert [f"$['{key}']" for key in keys] == paths


def test_every_json_key_of_the_data_is_declared_once():
    with next(SAMPLE_ROOT.glob("log_data/*/*/*.json")).open() as handle:
        event_keys = set(json.loads(handle.readline()))
    song_keys = set(json.loads(next(SAMPLE_ROOT.glob("song_data/**/*.json")).read_text()))
    for table, keys in (("staging_events", event_keys), ("staging_songs", song_keys)):
        declared = [c["meta"]["json_key"] for c in declared_columns(table) if c["meta"]["json_key"]]
        assert sorted(declared) == sorted(keys), table


def test_songs_columns_are_named_as_their_keys_for_copy_auto():
    for column in declared_columns("staging_songs"):
        assert column["meta"]["json_key"] in (column["name"], None)


def test_every_declared_column_has_type_and_description():
    for table in ("staging_events", "staging_songs"):
        for column in declared_columns(table):
            assert column.get("data_type"), column["name"]
            assert column.get("description"), column["name"]
