"""The hourly DAG under a real scheduler (tests/airflow_stack) against the Redshift harness in Serverless mode:
the production wiring (target redshift_serverless fed by the Airflow connection redshift_default, data in S3,
max_active_tasks=2), node tasks deferring (the default) or, in a stack of its own, rescheduling every 60 s;
and the triggerer killed while node tasks are deferred (on DuckDB one task runs at a time: none defers).

Both stacks read one UTC day of the sample (2018-11-15) from a bucket of their own, so that the warehouse an
hourly run leaves equals a full build of that data root (in a schema of its own), table for table. Slow by
nature (a stack starts in 20-35 s; the hour takes about 1 min deferring, 3.5 min rescheduling, a poke interval
per layer): the two stacks start side by side and the reschedule hour runs while the deferrable one does, and
the module goes whole to one pytest-xdist worker (xdist_plan.py). benchmarks/benchmark_stack.py measures the two
modes one after the other (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import NamedTuple

import pytest
from airflow_stack import Stack, start_stack
from conftest import RedshiftWarehouse, base_env, create_bucket, upload_tree, watch_secrets
from reliability import sample_subset, snapshot_differences
from test_airflow_stack import (
    CONSUMERS,
    DAG_ID,
    PRODUCERS,
    assert_deferred_launches,
    assert_green,
    stack_local_settings,
    wait_for_task_state,
)
from test_dag import harness_dag_env

DAY = "2018-11-15"
HOUR = f"{DAY}T14:00:00+00:00"  # the logical date: the run loads 14:00-15:00 UTC
BUCKET = "sparkify-stack-day"
TARGET = "redshift_serverless"
POKE_SECONDS = 60  # reschedule mode's shortest poke (config.MIN_RESCHEDULE_POKE_SECONDS)
RESCHEDULE = {"SPARKIFY_WATCHER_CONSUMERS": "reschedule", "SPARKIFY_CONSUMER_POKE_SECONDS": str(POKE_SECONDS)}


def day_bucket(s3_client, workdir: Path) -> str:
    """s3://sparkify-stack-day: the sample's catalogue and JSONPaths file, and the events of DAY only."""
    upload_tree(s3_client, sample_subset(workdir, [DAY]), create_bucket(s3_client, BUCKET))
    return f"s3://{BUCKET}"


@pytest.fixture(scope="module")
def day_root(tmp_path_factory, s3_client) -> str:
    return day_bucket(s3_client, tmp_path_factory.mktemp("stack_redshift_data"))


@pytest.fixture(scope="module")
def expected(tmp_path_factory, redshift_serverless_harness, day_root) -> dict[str, list[tuple]]:
    """A full build (dbt build, full mode) of the day's data root, in a schema of its own."""
    harness = redshift_serverless_harness
    warehouse = RedshiftWarehouse(
        tmp_path_factory.mktemp("stack_expected"), harness, "stack_expected", data_root=day_root, target=TARGET
    )
    warehouse.build()
    return warehouse.snapshot()


def serverless_stack(
    workdir: Path, harness, s3_endpoint: str, data_root: str, schema: str, preload: bool = True, **extra: str
) -> Stack:
    """A stack in workdir running the DAG with its production settings against the Serverless harness (the
    stack's retry policy, STACK_POLICY; preload: STACK_PRELOAD too), writing schema; extra: more SPARKIFY_*
    settings."""
    stack_local_settings(workdir / "home" / "config", preload)
    env = harness_dag_env(base_env(), harness.env(schema), schema, TARGET, s3_endpoint, workdir)
    env |= {"SPARKIFY_REDSHIFT_DEPLOYMENT": "serverless", "SPARKIFY_DATA_ROOT": data_root, **extra}
    return start_stack(workdir, env)


class Stacks(NamedTuple):
    deferrable: Stack
    reschedule: Stack
    reschedule_run_ids: list[str]  # the hour in reschedule mode, created when the stacks are up


@pytest.fixture(scope="module")
def stacks(tmp_path_factory, redshift_serverless_harness, s3_endpoint, day_root) -> Iterator[Stacks]:
    """A stack per mode, started side by side and stopped side by side. The reschedule hour (about 3.5 min,
    mostly node tasks waiting for their next look) is created at once and runs while the deferrable one does."""
    modes = {"stack_defer": {}, "stack_resched": RESCHEDULE}
    workdirs = {schema: tmp_path_factory.mktemp(schema) for schema in modes}
    with ThreadPoolExecutor(len(modes)) as pool:
        futures = [
            pool.submit(serverless_stack, workdirs[schema], redshift_serverless_harness, s3_endpoint, day_root,
                        schema, **extra)
            for schema, extra in modes.items()
        ]  # fmt: skip
        wait(futures)
        started = [future.result() for future in futures if future.exception() is None]
        for stack in started:
            watch_secrets(stack.secrets())
        try:
            deferrable, reschedule = (future.result() for future in futures)  # raises what a start raised
            run_ids = reschedule.backfill(DAG_ID, HOUR, HOUR)
            yield Stacks(deferrable, reschedule, run_ids)
        finally:
            list(pool.map(Stack.stop, started))


def warehouse_of(stack: Stack, harness) -> RedshiftWarehouse:
    """The schema the stack's DAG writes (read only: snapshots)."""
    schema = stack.env["SPARKIFY_REDSHIFT_SCHEMA"]
    return RedshiftWarehouse(stack.workdir, harness, schema, data_root=stack.env["SPARKIFY_DATA_ROOT"], target=TARGET)


def assert_no_secret_in_logs(stack: Stack, secret: str) -> None:
    """The harness password is in no log of the stack (components, task logs)."""
    for path in Path(stack.workdir).rglob("*.log"):
        assert secret not in path.read_text(errors="replace"), path


def test_hour_on_serverless_survives_a_killed_triggerer_with_two_launches_per_node_task_and_converges(
    stacks, redshift_serverless_harness, expected
):
    """One hour, the production defaults, and the triggerer killed (SIGKILL) while a node task is deferred, then a
    new one, as MWAA replaces a container: the new triggerer takes the deferred tasks' triggers over from the
    database. The run ends green on its hour without a retry; each node task is launched once, or twice when it
    deferred (the deferred one twice: before the kill, resumed after), never rescheduled; producers, begin and
    the checks once; the schema equals a full build of the day; the harness password is in no log."""
    stack = stacks.deferrable
    (run_id,) = run_ids = stack.backfill(DAG_ID, HOUR, HOUR)
    deferred = wait_for_task_state(stack, run_id, CONSUMERS, "deferred")
    stack.kill("triggerer")
    time.sleep(2)
    stack.start("triggerer")
    runs = stack.wait_for_runs(DAG_ID, run_ids, timeout=900)
    assert_green(runs)
    assert runs[run_id]["data_interval_start"].isoformat() == HOUR
    assert_deferred_launches(stack, run_id)
    assert stack.launch_counts(DAG_ID, run_id)[deferred] == 2, deferred
    for task_id in CONSUMERS:
        assert runs[run_id]["tasks"][task_id]["try_number"] == 1, task_id
    assert snapshot_differences(warehouse_of(stack, redshift_serverless_harness).snapshot(), expected) == {}
    assert_no_secret_in_logs(stack, redshift_serverless_harness.password)


def test_hour_on_serverless_in_reschedule_mode_runs_green_without_a_launch_storm(
    stacks, redshift_serverless_harness, expected
):
    """SPARKIFY_WATCHER_CONSUMERS=reschedule, a look every 60 s: green, converged, and each node task is launched
    once plus once per reschedule (never deferred), at most once per poke interval of the run's wall time."""
    reschedule_stack = stacks.reschedule
    runs = reschedule_stack.wait_for_runs(DAG_ID, stacks.reschedule_run_ids, timeout=900)
    assert len(runs) == 1
    assert_green(runs)
    (run_id, run), *_ = runs.items()
    wall = (run["end_date"] - run["start_date"]).total_seconds()
    launches = reschedule_stack.launch_counts(DAG_ID, run_id)
    breakdown = reschedule_stack.launch_breakdown(DAG_ID, run_id)
    for task_id in CONSUMERS:
        counts = breakdown.get(task_id, {})
        assert launches[task_id] == 1 + counts.get("reschedules", 0), (task_id, launches[task_id], counts)
        assert counts.get("tries") == 1, (task_id, counts)
        assert "deferrals" not in counts, (task_id, counts)
        assert launches[task_id] <= 1 + math.ceil(wall / POKE_SECONDS), (task_id, launches[task_id], wall)
    for task_id in {*PRODUCERS, "quality_checks", "begin"}:
        assert launches[task_id] == 1, (task_id, launches[task_id])
    warehouse = warehouse_of(reschedule_stack, redshift_serverless_harness)
    assert snapshot_differences(warehouse.snapshot(), expected) == {}
    assert_no_secret_in_logs(reschedule_stack, redshift_serverless_harness.password)
