"""The bad-input corpus (bad_input_cases.py) on both engines: every case is a real `dbt build` on its own data
root, on DuckDB (a local folder) and on the Redshift harness (the same files in its S3 bucket, loaded by
the real COPY statements), in its provisioned mode, and in its Serverless mode for every case that reads
rejections back, fails a load or runs twice (engine_cases()). Cases marked on_redshift expect
Redshift's own behaviour there. Serverless keeps no raw line or raw value of a rejection (only STL does,
and Serverless has no STL): there those two columns of load_errors are null, every other one is the same.

Per case: the exit code, every landing row with its values, every load_errors row (file, line,
column, code, reason, raw value), the status of every data test (the expected ones warn or fail,
all others pass), the song plays of the fact table (the good lines around the bad one reach the
marts), and the case's queries.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from bad_input_cases import (
    BASE_FILES,
    CASES,
    DAY_MS,
    EVENT_COLUMNS,
    SONG_COLUMNS,
    T0,
    TEST_LABELS,
    TRUNCATED,
    WINDOW,
    Case,
    event,
    events_file,
    line,
    lines,
)
from conftest import (
    CREDENTIALS,
    HARNESS_BUCKET,
    HOURLY_SELECTION,
    PROJECT_DIR,
    RedshiftWarehouse,
    Warehouse,
    create_bucket,
)

EVENTS = list(EVENT_COLUMNS.values())
# A case's build: every model, seed and data test of the hourly DAG. dbt's unit tests are left out: they read
# their own fixture rows, never the case's files, so their outcome is the same in every case; every full build
# runs them (test_full_build.py checks each one ran and passed; the harness's full build fails if one fails).
BUILD = ("build", *HOURLY_SELECTION)
ENGINES = ["duckdb", "redshift", "redshift_serverless"]
ERROR_COLUMNS = ["filename", "line_number", "colname", "err_code", "err_reason", "raw_field_value", "raw_line"]


def write_root(root: Path, files: dict[str, bytes | None]) -> None:
    """The data root: the base files with the case's files added, replaced (or removed when None)."""
    shutil.rmtree(root, ignore_errors=True)
    for key, content in {**BASE_FILES, **files}.items():
        if content is not None:
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def rows(warehouse: Warehouse, table: str, columns: list[str]) -> list[dict]:
    return [
        dict(zip(columns, row, strict=True)) for row in warehouse.query(f"select {', '.join(columns)} from {table}")
    ]


def ordered(records: list[dict]) -> list[tuple]:
    return sorted((tuple(record.items()) for record in records), key=repr)


def landing_state(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {
        "staging_events": ordered(rows(warehouse, "staging_events", EVENTS)),
        "staging_songs": ordered(rows(warehouse, "staging_songs", SONG_COLUMNS)),
        "load_errors": ordered(rows(warehouse, "load_errors", ["table_name", *ERROR_COLUMNS])),
    }


def data_test_statuses(warehouse: Warehouse) -> dict[str, dict]:
    """name -> {status, failures} of every data test (and unit test, if any ran) of the last dbt call."""
    results = json.loads((warehouse.workdir / "target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: {"status": r["status"], "failures": r["failures"]}
        for r in results
        if r["unique_id"].startswith(("test.", "unit_test."))
    }


def label_of(name: str) -> str | None:
    labels = [label for label, pattern in TEST_LABELS.items() if re.search(pattern, name)]
    assert len(labels) <= 1, (name, labels)
    return labels[0] if labels else None


def write_s3(s3_client, bucket: str, prefix: str, files: dict[str, bytes | None]) -> None:
    """write_root, in the harness's bucket under prefix."""
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/").get("Contents", [])
    for item in listed:
        s3_client.delete_object(Bucket=bucket, Key=item["Key"])
    for key, content in {**BASE_FILES, **files}.items():
        if content is not None:
            s3_client.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=content)


def worker_id() -> str:
    """gw0, gw1, ... under pytest-xdist; main without it."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="module")
def slots(tmp_path_factory) -> dict[str, Path]:
    """One place per engine that every case of this test process reuses: the same DuckDB path, data root,
    schema, S3 prefix and target path for every case, so dbt keeps its partial parse from one case to the
    next (each case only changes files and data). A case starts from an empty warehouse all the same."""
    base = tmp_path_factory.mktemp("bad_input")
    made = {engine: base / engine for engine in ENGINES}
    for path in made.values():
        path.mkdir()
    return made


def engine_setup(engine: str, request, slots: dict[str, Path], dbt_worker) -> tuple[Warehouse, str, Callable]:
    """(warehouse, data root, writer of the data root's files) for the engine, emptied for a new case."""
    if engine == "duckdb":
        warehouse = Warehouse(slots["duckdb"], runner=dbt_worker)
        for leftover in (warehouse.path, warehouse.path.with_name(warehouse.path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        root = slots["duckdb"] / "data"
        return warehouse, str(root), lambda files: write_root(root, files)
    serverless = engine == "redshift_serverless"
    harness = request.getfixturevalue("redshift_serverless_harness" if serverless else "redshift_harness")
    s3_client = request.getfixturevalue("s3_client")
    prefix = f"bad-input{'-serverless' if serverless else ''}/{worker_id()}"
    warehouse = RedshiftWarehouse(
        slots[engine],
        harness,
        f"bad_input_{worker_id()}",
        data_root=f"s3://{HARNESS_BUCKET}/{prefix}",
        runner=dbt_worker,
    )
    harness.query(f"drop schema if exists {warehouse.schema} cascade")
    return warehouse, warehouse.data_root, lambda files: write_s3(s3_client, HARNESS_BUCKET, prefix, files)


def engine_cases() -> list:
    """Every case on DuckDB and on provisioned Redshift. On Serverless, the cases that read rejections back, fail
    a load or run twice: the one thing Serverless changes is how load_errors is filled (the raw line and value stay
    null, the STL join is provisioned only); the COPY statements and every other step are the provisioned ones."""
    params = []
    for case in CASES:
        engines = ENGINES if case.rejections or case.exit_code or case.before is not None else ENGINES[:2]
        params += [pytest.param(case, engine, id=f"{case.name}-{engine}") for engine in engines]
    return params


@pytest.mark.parametrize(("case", "engine"), engine_cases())
def test_bad_input_case(case: Case, engine: str, request, slots: dict[str, Path], dbt_worker):
    if engine != "duckdb":
        case = dataclasses.replace(case, **case.on_redshift)
    if engine == "redshift_serverless":
        # COPY's rejections (Redshift codes) lose their raw values there; our own checks' (91xx) keep them.
        without_raw = [
            dataclasses.replace(r, raw_field_value=None, raw_line=None) if r.code < 9000 else r for r in case.rejections
        ]
        case = dataclasses.replace(case, rejections=tuple(without_raw))
    warehouse, root, write = engine_setup(engine, request, slots, dbt_worker)
    if case.before is not None:
        write(case.before)
        built = warehouse.dbt(*BUILD, vars={"data_root": root})
        assert built.returncode == 0, built.output[-4000:]
        before = landing_state(warehouse)

    write(case.files)
    result = warehouse.dbt(*BUILD, vars={"data_root": root, **case.vars})
    assert result.returncode == case.exit_code, result.output[-4000:]
    if case.message:
        assert case.message.format(root=root) in result.output, result.output[-4000:]
    if case.unchanged:
        assert landing_state(warehouse) == before
        return

    # Landing rows: every one, with its values (the good lines around the bad one included).
    assert ordered(rows(warehouse, "staging_events", EVENTS)) == ordered(case.events)
    assert ordered(rows(warehouse, "staging_songs", SONG_COLUMNS)) == ordered(case.songs)

    # Rejections: file, line, column, code, reason, raw value; the raw line where the case says.
    rejected = rows(warehouse, "load_errors", ["table_name", *ERROR_COLUMNS])
    expected = [
        {
            "table_name": "staging_songs" if r.key.startswith("song_data/") else "staging_events",
            "filename": f"{root}/{r.key}",
            "line_number": r.line,
            "colname": r.colname,
            "err_code": r.code,
            "err_reason": r.reason,
            "raw_field_value": r.raw_field_value,
        }
        for r in case.rejections
    ]
    assert ordered([{k: v for k, v in r.items() if k != "raw_line"} for r in rejected]) == ordered(expected)
    raw_lines = {(r["filename"], r["line_number"]): r["raw_line"] for r in rejected}
    for r in case.rejections:
        if r.raw_line is not None or engine == "redshift_serverless":
            assert raw_lines[(f"{root}/{r.key}", r.line)] == r.raw_line

    # Data tests: the expected ones warn or fail, every other one passes (or is skipped after a failure).
    statuses = data_test_statuses(warehouse)
    seen = {label_of(name) for name in statuses} - {None}
    assert case.expected_warns | case.fails <= seen
    for name, outcome in statuses.items():
        label = label_of(name)
        if label in case.fails:
            assert outcome["status"] == "fail", name
        elif label in case.expected_warns:
            assert outcome["status"] == "warn", name
        else:
            allowed = {"pass"} if case.exit_code == 0 else {"pass", "skipped"}
            assert outcome["status"] in allowed, (name, outcome)
    if case.rejections:
        assert statuses["rejected_lines"]["failures"] == len(case.rejections)

    # The good lines reach the marts: every song play the landing table keeps is in the fact, once.
    if case.exit_code == 0:
        plays = {row[0] for row in warehouse.query("select songplay_id from fct_songplays")}
        assert plays == case.plays
    for sql, result_rows in case.queries:
        assert warehouse.query(sql) == result_rows, sql


@pytest.mark.parametrize("engine", ENGINES)
def test_old_rejections_warn_and_only_this_runs_files_count_against_the_threshold(
    engine: str, request, slots: dict[str, Path], dbt_worker
):
    """load_error_threshold 1: a bad line in the 14th's file (that run warns), then one in the 15th's. The
    15th's run passes: the 14th's rejection stays in load_errors and warns, but it is not this run's.
    A second bad line in the 15th's file then fails the run, counting 2 (its own), not 3. (dbt reports 0
    failures for a test that passes.)"""
    warehouse, root, write = engine_setup(engine, request, slots, dbt_worker)
    earlier = event(701, 0, T0 - DAY_MS)
    day_14 = {"log_data/2018/11/2018-11-14-events.json": lines(earlier, line(earlier)[:50])}
    window_14 = {key: value.replace("2018-11-15", "2018-11-14") for key, value in WINDOW.items()}

    def window_run(files: dict[str, bytes], window: dict[str, str]) -> tuple[int, dict[str, dict]]:
        write(files)
        result = warehouse.dbt(*BUILD, vars={"data_root": root, "load_error_threshold": 1, **window})
        statuses = data_test_statuses(warehouse)
        return result.returncode, {name: statuses[name] for name in ("rejected_lines", "rejected_lines_of_this_run")}

    assert window_run(day_14, window_14) == (
        0,
        {
            "rejected_lines": {"status": "warn", "failures": 1},
            "rejected_lines_of_this_run": {"status": "pass", "failures": 0},
        },
    )
    assert window_run({**day_14, **events_file(TRUNCATED)}, WINDOW) == (
        0,
        {
            "rejected_lines": {"status": "warn", "failures": 2},
            "rejected_lines_of_this_run": {"status": "pass", "failures": 0},
        },
    )
    assert window_run({**day_14, **events_file(TRUNCATED, b"[]")}, WINDOW) == (
        1,
        {
            "rejected_lines": {"status": "warn", "failures": 3},
            "rejected_lines_of_this_run": {"status": "fail", "failures": 2},
        },
    )
    assert {row[0].rsplit("/", 1)[1] for row in warehouse.query("select filename from load_errors")} == {
        "2018-11-14-events.json",
        "2018-11-15-events.json",
    }


def test_corpus_is_named_and_complete():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) >= 20
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in names)
    for case in CASES:
        assert set(case.warns) | set(case.fails) <= set(TEST_LABELS), case.name


def test_bad_input_guide_documents_every_case():
    """docs/bad-input.md holds one table row per case, named as here."""
    section = (PROJECT_DIR / "docs" / "bad-input.md").read_text()
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.MULTILINE)
    assert documented == [case.name for case in CASES]


def test_rejections_from_s3_name_the_s3_uri_and_are_replaced_on_rerun(
    new_warehouse, s3_endpoint, s3_client, tmp_path: Path
):
    """data_root on s3:// (moto_server): load_errors.filename is the s3:// URI, as Redshift shows it, and a
    re-run replaces the file's rejections instead of adding to them."""
    case = next(c for c in CASES if c.name == "truncated_json_line")
    bucket = create_bucket(s3_client, "sparkify-bad-input")
    for key, content in {**BASE_FILES, **case.files}.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=content)
    warehouse: Warehouse = new_warehouse()
    for _ in range(2):
        result = warehouse.dbt(
            "build", vars={"data_root": f"s3://{bucket}"}, SPARKIFY_S3_ENDPOINT_URL=s3_endpoint, **CREDENTIALS
        )
        assert result.returncode == 0, result.output[-3000:]
        rejected = warehouse.query("select filename, line_number, err_code from load_errors")
        assert rejected == [(f"s3://{bucket}/{case.rejections[0].key}", 2, 1224)]
    assert ordered(rows(warehouse, "staging_events", EVENTS)) == ordered(case.events)
