"""Reliability of the runs (issue 6): retries, a backfill in shuffled day order, crashes (SIGKILL at
known points of a window run) and two runs at once all end in exactly the state one clean run gives.

Every comparison is table by table on contents (Warehouse.snapshot: every row, load times left out),
with no key duplicated and no relation left over. Runs pass the window vars as the hourly DAG does and
build its models and seed (reliability.BUILD). The long variant, every hour of November 2018 run
twice, is scripts/reliability_hours.py (make reliability-hours).
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from conftest import DBT, PROJECT_DIR, SAMPLE_ROOT, Warehouse, base_env
from reference import read_events
from reliability import (
    BUILD,
    day_window,
    duplicate_keys,
    hour_windows,
    relations,
    run_build,
    run_window,
    sample_days,
    sample_subset,
    snapshot_differences,
    window_vars,
)
from test_dag import dag_runner

DAY = "2018-11-15"  # the sample's busiest day
HOUR = (datetime(2018, 11, 15, 14), datetime(2018, 11, 15, 15))  # the window run that gets killed
PAUSE = Path(__file__).with_name("dbt_pause.py")
DEADLINE_SECONDS = 180
BACKFILL_DAYS = 10  # CI-sized; scripts/reliability_hours.py --shuffle-days covers all 30


def test_every_hour_of_a_day_run_twice_equals_one_full_load(new_warehouse, tmp_path):
    """Each hourly window of a day, then its retry: a retry changes nothing, the day equals a full load."""
    root = str(sample_subset(tmp_path / "data", [DAY]))
    full = new_warehouse("full")
    run_build(full, {"data_root": root}, "full load")
    expected = full.snapshot()
    assert len(expected["fct_songplays"]) > 0

    hourly = new_warehouse("hourly")
    for start, end in hour_windows(DAY):
        run_window(hourly, start, end, data_root=root)
        first = hourly.snapshot()
        run_window(hourly, start, end, data_root=root)
        assert snapshot_differences(hourly.snapshot(), first) == {}, f"the retry of {start} changed the tables"
    assert duplicate_keys(hourly) == {}
    assert snapshot_differences(hourly.snapshot(), expected) == {}


def test_backfill_in_shuffled_day_order_equals_a_full_load(new_warehouse, tmp_path):
    """Ten sample days, one window each, in shuffled order (the whole month: make reliability-hours)."""
    order = random.Random(6).sample(sample_days(), BACKFILL_DAYS)
    assert order != sorted(order)
    # Load order could matter: some user's level differs from one of these days to another.
    levels = defaultdict(set)
    for day in order:
        last_level = {e["userId"]: e["level"] for e in read_events(SAMPLE_ROOT, days=[day]) if e["userId"]}
        for user, level in last_level.items():
            levels[user].add(level)
    assert any(len(seen) > 1 for seen in levels.values())

    root = str(sample_subset(tmp_path / "data", order))
    full = new_warehouse("full")
    run_build(full, {"data_root": root}, "full load")
    backfill = new_warehouse("backfill")
    for day in order:
        run_window(backfill, *day_window(day), data_root=root)
    assert duplicate_keys(backfill) == {}
    assert snapshot_differences(backfill.snapshot(), full.snapshot()) == {}, f"day order {order}"


# --- crashes and concurrency: the window HOUR on a warehouse holding the day before ---------------


@pytest.fixture(scope="module")
def before_crash(tmp_path_factory) -> Warehouse:
    """The warehouse the killed run starts from: 2018-11-14 loaded, nothing of 2018-11-15."""
    warehouse = Warehouse(tmp_path_factory.mktemp("before_crash"))
    run_window(warehouse, *day_window("2018-11-14"))
    return warehouse


@pytest.fixture(scope="module")
def uninterrupted(before_crash: Warehouse, tmp_path_factory) -> Warehouse:
    """The same window run from the same state, never interrupted: what every crash must end in."""
    warehouse = before_crash.copy_to(tmp_path_factory.mktemp("uninterrupted"))
    run_window(warehouse, *HOUR)
    changed = snapshot_differences(warehouse.snapshot(), before_crash.snapshot())
    assert {"staging_events", "fct_songplays", "dim_users", "dim_time"} <= set(changed)
    return warehouse


def dbt_build_args(warehouse: Warehouse, **extra_vars) -> list[str]:
    return [
        *BUILD,
        "--vars",
        json.dumps(window_vars(*HOUR, **extra_vars)),
        "--target-path",
        str(warehouse.workdir / "target"),
        "--log-path",
        str(warehouse.workdir / "logs"),
    ]


def paused_dbt(warehouse: Warehouse, node: str, when: str, statement: str) -> list[str]:
    """dbt build of HOUR that stops itself at a statement of a node (see dbt_pause.py)."""
    return [sys.executable, str(PAUSE), node, when, statement, "--", *dbt_build_args(warehouse)]


@contextmanager
def started(warehouse: Warehouse, command: list[str]) -> Iterator[subprocess.Popen]:
    """Starts a dbt process on the warehouse; it never outlives the block."""
    with (warehouse.workdir / "run.out").open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=base_env(SPARKIFY_DUCKDB_PATH=str(warehouse.path)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def output(warehouse: Warehouse) -> str:
    return (warehouse.workdir / "run.out").read_text()


def wait_until_paused(process: subprocess.Popen, warehouse: Warehouse) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        pid, status = os.waitpid(process.pid, os.WUNTRACED | os.WNOHANG)
        if pid and os.WIFSTOPPED(status):
            return
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            pytest.fail(f"dbt ended ({process.returncode}) before its pause point:\n{output(warehouse)[-3000:]}")
        time.sleep(0.05)
    pytest.fail(f"dbt did not reach its pause point in {DEADLINE_SECONDS} s:\n{output(warehouse)[-3000:]}")


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def assert_killed_mid_run(process: subprocess.Popen, warehouse: Warehouse) -> None:
    assert process.returncode == -signal.SIGKILL
    assert not (warehouse.workdir / "target" / "run_results.json").exists(), "the run had completed"
    assert "Completed successfully" not in output(warehouse)


def assert_same_as(warehouse: Warehouse, expected: Warehouse) -> None:
    assert duplicate_keys(warehouse) == {}
    assert relations(warehouse) == relations(expected)
    assert snapshot_differences(warehouse.snapshot(), expected.snapshot()) == {}


def open_when_read(fifo: Path, process: subprocess.Popen, warehouse: Warehouse) -> int:
    """Opens the named pipe for writing as soon as a reader has it open; returns the descriptor."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENXIO:  # ENXIO: nobody reads it yet
                raise
        if process.poll() is not None:
            pytest.fail(f"dbt ended ({process.returncode}) before reading {fifo}:\n{output(warehouse)[-3000:]}")
        time.sleep(0.02)
    pytest.fail(f"dbt did not open {fifo} in {DEADLINE_SECONDS} s:\n{output(warehouse)[-3000:]}")


def feed(fd: int, data: bytes) -> None:
    """Writes data into the pipe as the reader takes it."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while data:
        try:
            data = data[os.write(fd, data) :]
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail("the load stopped reading its event file")
            time.sleep(0.01)


def test_kill_during_the_load_then_rerun_equals_an_uninterrupted_run(
    before_crash: Warehouse, uninterrupted: Warehouse, tmp_path
):
    """SIGKILL while the load reads its day file (a named pipe, half written): nothing of it lands."""
    root = sample_subset(tmp_path / "data", [DAY])
    day_file = root / "log_data" / "2018" / "11" / f"{DAY}-events.json"
    content = day_file.read_bytes()
    day_file.unlink()
    os.mkfifo(day_file)
    warehouse = before_crash.copy_to(tmp_path / "crashed")
    with started(warehouse, [str(DBT), *dbt_build_args(warehouse, data_root=str(root))]) as run:
        fd = open_when_read(day_file, run, warehouse)
        try:
            feed(fd, content[: len(content) // 2])
            kill(run)
        finally:
            os.close(fd)
    assert_killed_mid_run(run, warehouse)
    assert f"copy_json staging_events: loading log_data/2018/11/{DAY}-events.json" in output(warehouse)
    assert relations(warehouse) == relations(before_crash)
    assert snapshot_differences(warehouse.snapshot(), before_crash.snapshot()) == {}

    day_file.unlink()
    day_file.write_bytes(content)
    run_window(warehouse, *HOUR, data_root=str(root))
    assert_same_as(warehouse, uninterrupted)


CRASH_POINTS = [
    # node, before/after, statement, {table: state at the kill: the one before the run or after it}, leftovers
    pytest.param(
        "fct_songplays",
        "after",
        r"^delete from ",
        {"staging_events": "after", "fct_songplays": "before"},
        set(),
        id="fact-merge-ran-not-committed",
    ),
    # dim_time merges the run's days in window runs (delete+insert, like the fact).
    pytest.param(
        "dim_time",
        "after",
        r"^delete from ",
        {"fct_songplays": "after", "dim_time": "before"},
        set(),
        id="dimension-merge-ran-not-committed",
    ),
    pytest.param(
        "dim_time",
        "after",
        r"^commit$",
        {"dim_time": "after"},
        set(),
        id="dimension-committed",
    ),
]


@pytest.mark.parametrize(("node", "when", "statement", "at_kill", "leftovers"), CRASH_POINTS)
def test_kill_at_a_statement_then_rerun_equals_an_uninterrupted_run(
    before_crash: Warehouse, uninterrupted: Warehouse, tmp_path, node, when, statement, at_kill, leftovers
):
    warehouse = before_crash.copy_to(tmp_path / "crashed")
    with started(warehouse, paused_dbt(warehouse, node, when, statement)) as run:
        wait_until_paused(run, warehouse)
        kill(run)
    assert_killed_mid_run(run, warehouse)
    assert f"DBT_PAUSED node={node} {when}:" in output(warehouse)
    # What the crash left: every node before the kill committed, the interrupted one rolled back.
    crashed = warehouse.snapshot()
    for table, state in at_kill.items():
        reference = (before_crash if state == "before" else uninterrupted).table(table)
        assert snapshot_differences({table: crashed[table]}, {table: reference}) == {}, f"{table} at the kill"
    assert set(relations(warehouse)) == set(relations(before_crash)) | leftovers

    run_window(warehouse, *HOUR)
    assert_same_as(warehouse, uninterrupted)


def test_second_run_while_the_first_is_mid_run_fails_cleanly_and_state_equals_one_run(
    before_crash: Warehouse, uninterrupted: Warehouse, tmp_path
):
    """DuckDB's single writer: a run started while another holds the file fails at once, writing nothing."""
    warehouse = before_crash.copy_to(tmp_path / "shared")
    second = Warehouse(tmp_path / "second")  # its own target/ and logs/, the same DuckDB file
    second.workdir.mkdir()
    second.path = warehouse.path
    with started(warehouse, paused_dbt(warehouse, "fct_songplays", "after", r"^delete from ")) as first:
        wait_until_paused(first, warehouse)  # holds the file, its fact merge not committed
        result = second.dbt(*BUILD, vars=window_vars(*HOUR))
        assert result.returncode == 2
        assert f'IO Error: Could not set lock on file "{warehouse.path}": Conflicting lock is held' in result.output
        os.kill(first.pid, signal.SIGCONT)
        assert first.wait(timeout=DEADLINE_SECONDS) == 0, output(warehouse)[-3000:]
    assert_same_as(warehouse, uninterrupted)


def test_dag_never_runs_two_dbt_tasks_on_the_warehouse_at_once(before_crash: Warehouse, tmp_path):
    """The DAG's own guard, read from the DAG object: one run at a time, one task at a time on DuckDB."""
    env = base_env(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_DIR / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        SPARKIFY_DBT_MANIFEST=str(before_crash.workdir / "target" / "manifest.json"),
    )
    on_duckdb = dag_runner(env, "describe")
    assert on_duckdb["import_errors"] == {}
    assert (on_duckdb["max_active_runs"], on_duckdb["max_active_tasks"]) == (1, 1)
    redshift = {"SPARKIFY_TARGET": "redshift", "SPARKIFY_DATA_ROOT": "s3://udacity-dend"}
    on_redshift = dag_runner({**env, **redshift}, "describe")
    assert on_redshift["import_errors"] == {}
    assert on_redshift["max_active_runs"] == 1  # hours never overlap; within a run, tasks write different tables
