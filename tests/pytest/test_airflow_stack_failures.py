"""The hourly DAG's failures as MWAA runs it, on the local stack of test_airflow_stack.py (its fixtures and
helpers, a stack of this module's own): a node that fails is retried alone then fails the run; a data test that
fails fails the midnight history run after its retries; an hour whose file never comes times out before any dbt
task; the scheduler and a build's process killed mid-run, the run still green and equal to a full build.

A module of its own so that a second pytest-xdist worker runs it beside test_airflow_stack.py's backfill (each
module goes whole to one worker, xdist_plan.py): together they took 12.6 worker-minutes, one after the other.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from test_airflow_stack import (
    DAG_ID,
    DAYS,
    DBT_TASKS,
    DIMENSIONS,
    FACT,
    STAGE,
    Stack,
    assert_green,
    backfill,
    full_builds,
    hour,
    running_duckdb_stack,
    sample_subset,
    snapshot_differences,
    stack_warehouse,
    states,
    task_log,
    wait_for_task_state,
)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return sample_subset(tmp_path_factory.mktemp("stack_data"), DAYS)


@pytest.fixture(scope="module")
def duckdb_stack(tmp_path_factory, data_root) -> Iterator[Stack]:
    with running_duckdb_stack(tmp_path_factory.mktemp("duckdb_stack"), data_root) as stack:
        yield stack


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> Callable[[list[str]], dict]:
    return full_builds(tmp_path_factory)


def test_failing_node_is_retried_three_times_alone_then_fails_the_run(duckdb_stack, data_root):
    """The fact table no longer has the model's columns (on_schema_change: fail): the fact fails in its layer's
    build, then in each of its 3 retries, each a dbt run of that node alone. The stage shows success, the
    dimensions and checks never run, and the fact table is untouched."""
    warehouse = stack_warehouse(duckdb_stack, data_root, built=True)
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute("alter table fct_songplays add column added_by_hand integer")
    before = warehouse.query("select * from fct_songplays order by songplay_id")
    runs = backfill(duckdb_stack, "2018-11-15T10:00:00+00:00")
    (run_id, run), *_ = runs.items()
    got = states(run)
    assert run["state"] == "failed"
    assert got[FACT] == ("failed", 4)  # 3 retries
    for task_id in STAGE:
        assert got[task_id] == ("success", 1), task_id
    assert got["songplays_fact.dbt_producer_watcher"][0] in {"failed", "skipped"}
    for task_id in {*DIMENSIONS, "dimensions.dbt_producer_watcher", "quality_checks", "end"}:
        assert got[task_id][0] == "upstream_failed", task_id
    fact_log = task_log(duckdb_stack, run_id, FACT)
    assert len(re.findall(r"'run', '--select', 'fqn:sparkify\.marts\.fct_songplays'", fact_log)) == 3, fact_log[-3000:]
    assert warehouse.query("select * from fct_songplays order by songplay_id") == before


def test_failing_data_test_fails_the_midnight_run_after_its_retries(duckdb_stack, data_root):
    """A song play whose level is neither free nor paid, on 2018-11-01 (no run of this stack replaces that day).
    An hour's checks read only the days it replaced: the 12:00 run of the 15th is green. The run ending at 00:00
    UTC on the 17th checks the whole history: quality_checks fails 4 times (3 retries) and the run fails."""
    warehouse = stack_warehouse(duckdb_stack, data_root, built=True)
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute(
            "insert into fct_songplays by name select * replace (md5('by hand') as songplay_id, 'gold' as level,"
            " timestamp '2018-11-01 12:00:00' as start_time) from fct_songplays limit 1"
        )
    assert_green(backfill(duckdb_stack, "2018-11-15T12:00:00+00:00"))
    runs = backfill(duckdb_stack, "2018-11-16T23:00:00+00:00")
    (run_id, run), *_ = runs.items()
    assert run["state"] == "failed"
    assert states(run)["quality_checks"] == ("failed", 4)
    assert states(run)[FACT] == ("success", 1)
    assert states(run)["end"][0] == "upstream_failed"
    assert "accepted_values_fct_songplays_level" in task_log(duckdb_stack, run_id, "quality_checks")


def test_missing_event_file_fails_the_run_after_the_input_wait_without_dbt(duckdb_stack, data_root):
    """No file for 2018-12-01: begin looks, times out, and the run fails; no dbt task was ever launched."""
    stack_warehouse(duckdb_stack, data_root)
    runs = backfill(duckdb_stack, "2018-12-01T00:00:00+00:00")
    (run_id, run), *_ = runs.items()
    assert run["state"] == "failed"
    assert states(run)["begin"] == ("failed", 1)  # a sensor timeout is not retried
    launches = duckdb_stack.launch_counts(DAG_ID, run_id)
    assert all(launches[task_id] == 0 for task_id in DBT_TASKS), launches
    log = task_log(duckdb_stack, run_id, "begin")
    assert "sparkify: waiting for ['log_data/2018/12/2018-12-01-events.json']" in log
    assert "Sensor has timed out" in log


def test_run_survives_a_killed_scheduler_and_task_process_and_converges(duckdb_stack, data_root, expected):
    """One hour, two faults, each SIGKILL in the middle of a layer's build: the scheduler during the stage's
    build, then back (its workers and tasks live on, as MWAA's workers are not the scheduler's children), and
    the process of the dimensions' build (its retry hands over to the node tasks, which run their nodes
    alone). The run ends green and the warehouse equals a full build of the day. (On DuckDB one task runs at
    a time, so no node task is ever deferred: the triggerer's fault is test_airflow_stack_redshift.py's.)"""
    warehouse = stack_warehouse(duckdb_stack, data_root)
    first = hour("2018-11-15T13:00:00+00:00")
    (run_id,) = run_ids = duckdb_stack.backfill(DAG_ID, first, first)

    wait_for_task_state(duckdb_stack, run_id, {"stage.dbt_producer_watcher"}, "running")
    time.sleep(2)  # in the middle of the build
    assert duckdb_stack.kill_main("scheduler") >= 1  # its database session (and any row lock) ends with it
    time.sleep(2)
    duckdb_stack.start("scheduler")

    wait_for_task_state(duckdb_stack, run_id, {"dimensions.dbt_producer_watcher"}, "running")
    time.sleep(2)
    os.kill(duckdb_stack.task_pids(DAG_ID, run_id, "dimensions.dbt_producer_watcher")["task"], signal.SIGKILL)

    runs = duckdb_stack.wait_for_runs(DAG_ID, run_ids, timeout=900)
    assert_green(runs)
    got = states(runs[run_id])
    assert got["stage.dbt_producer_watcher"] == ("success", 1), got  # the scheduler's death did not touch it
    assert got["dimensions.dbt_producer_watcher"] == ("skipped", 2), got  # its retry handed over
    for task_id in DIMENSIONS:
        assert got[task_id][0] == "success", (task_id, got[task_id])
    assert snapshot_differences(warehouse.snapshot(), expected(DAYS[:1])) == {}
