"""The hourly DAG as MWAA runs it: scheduler, dag-processor, triggerer, api-server, LocalExecutor and the
metadata database on PostgreSQL (tests/airflow_stack), with the production defaults (deferred node tasks).

Runs go through the scheduler as backfills (a manual trigger of a past hour gets today's interval in
Airflow 3.3). One stack per module, shared by its tests; each test sets up the warehouse it needs. This
module holds the green backfill; test_airflow_stack_failures.py holds the failures, on a stack of its own
(running_duckdb_stack), so that two pytest-xdist workers run them side by side. Slow by nature (an hourly
run through the scheduler takes 25-60 s): each module goes whole to one worker (xdist_plan.py). Retries
come 60 times sooner than in production (a cluster policy of the stack, STACK_POLICY), as
`dag_runner.py --retry-delay-scale` did for `airflow dags test`; their number and order are the DAG's.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from airflow_stack import Stack, start_stack
from conftest import Warehouse, base_env, run_dbt, watch_secrets
from reliability import sample_subset, snapshot_differences

DAG_ID = "sparkify_hourly"
DAYS = ["2018-11-15", "2018-11-16"]
STAGE = {"stage.stg_sparkify__events_run", "stage.stg_sparkify__songs_run", "stage.app_pages_seed"}
FACT = "songplays_fact.fct_songplays_run"
DIMENSIONS = {f"dimensions.{name}_run" for name in ("dim_users", "dim_songs", "dim_artists", "dim_time")}
CONSUMERS = {*STAGE, FACT, *DIMENSIONS}
PRODUCERS = {f"{layer}.dbt_producer_watcher" for layer in ("stage", "songplays_fact", "dimensions")}
DBT_TASKS = {*CONSUMERS, *PRODUCERS, "quality_checks"}
# begin waits seconds, not an hour, for a file that never comes (the defaults: a look every 5 minutes, 60 minutes).
# A look every 12 s, not less: under CI load a look's worker took 5.4 s to report after its reschedule, and Airflow
# 3.3.1 took that late event of the same try for the next look's and failed it into a retry ("finished with state
# success, but the task instance's state attribute is running").
SHORT_INPUT_WAIT = {"SPARKIFY_INPUT_POKE_MINUTES": "0.2", "SPARKIFY_INPUT_TIMEOUT_MINUTES": "0.5"}
STACK_POLICY = '''"""Test stack only: every retry delay 60 times shorter (5 min -> 5 s), as dag_runner.py's scale."""
from datetime import timedelta


def task_policy(task):
    task.retry_delay = timedelta(seconds=task.retry_delay.total_seconds() / 60)
'''
# Test stack only, beside STACK_POLICY: the scheduler imports, once at its start, the modules that parsing the DAG
# file and running dbt import. A task process is forked from a LocalExecutor worker, itself forked from the
# scheduler, so it starts with them loaded. Measured on this 2-core machine: a DagBag parse after `import airflow`
# takes 0.7-0.9 CPU-s without them, 0.26 s with; `import dbt.cli.main` and the adapter take 1.4 s in every producer
# and quality_checks try. Each task process still parses the DAG file and runs dbt, as on MWAA.
# benchmarks/benchmark_stack.py leaves it out: its CPU figures keep MWAA's shape (a Celery worker preloads nothing).
STACK_PRELOAD = """
import importlib
import sys

if sys.argv[1:2] == ["scheduler"]:
    for _module in (
        "airflow.providers.standard.operators.empty",
        "airflow.providers.standard.sensors.python",
        "airflow.sdk.io.path",
        "airflow.sdk.lineage",
        "boto3",
        "botocore.session",
        "cosmos.converter",
        "cosmos.operators.local",
        "cosmos.operators.watcher",
        "cosmos.plugin.airflow3",
        "dbt.cli.main",
        "dbt.adapters.duckdb",
        "dbt.adapters.redshift",
    ):
        importlib.import_module(_module)
"""


def stack_local_settings(config: Path, preload: bool = True) -> None:
    """Writes the test stack's airflow_local_settings.py into its config folder: STACK_POLICY (and STACK_PRELOAD)."""
    config.mkdir(parents=True)
    (config / "airflow_local_settings.py").write_text(STACK_POLICY + (STACK_PRELOAD if preload else ""))


def hour(text: str) -> str:
    """A logical date of the hourly timetable: the start of the hour a run loads."""
    return datetime.fromisoformat(text).isoformat()


@contextmanager
def running_duckdb_stack(workdir: Path, data_root: Path) -> Iterator[Stack]:
    """A stack of the DAG on DuckDB over data_root, in workdir; stopped at the end, and nothing of it left running."""
    parsed = run_dbt(["parse", "--quiet"], workdir)
    assert parsed.returncode == 0, parsed.output
    stack_local_settings(workdir / "home" / "config")
    env = base_env(
        SPARKIFY_DBT_MANIFEST=str(workdir / "target" / "manifest.json"),
        SPARKIFY_DUCKDB_PATH=str(workdir / "warehouse" / "sparkify.duckdb"),
        SPARKIFY_DATA_ROOT=str(data_root),
        **SHORT_INPUT_WAIT,
    )
    stack = start_stack(workdir, env)
    watch_secrets(stack.secrets())
    try:
        yield stack
    finally:
        running = stack.pids()
        stack.stop()
    left = {pid for pid in running if running_process(pid)}
    assert not left, f"processes of the stack still running after stop(): {sorted(left)}"


def running_process(pid: int) -> bool:
    """Whether pid is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def full_builds(tmp_path_factory: pytest.TempPathFactory) -> Callable[[list[str]], dict]:
    """A full build (dbt build, full mode) of some of the stack's days, made when a test first asks, then kept."""
    builds: dict[tuple[str, ...], dict] = {}

    def full_build(days: list[str]) -> dict:
        if tuple(days) not in builds:
            root = sample_subset(tmp_path_factory.mktemp("expected_data"), days)
            warehouse = Warehouse(tmp_path_factory.mktemp("expected"))
            warehouse.build(SPARKIFY_DATA_ROOT=str(root))
            builds[tuple(days)] = warehouse.snapshot()
        return builds[tuple(days)]

    return full_build


# The module's fixtures (test_airflow_stack_failures.py declares the same three: a stack of its own).
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


def stack_warehouse(stack: Stack, data_root: Path, built: bool = False) -> Warehouse:
    """The DAG's DuckDB file, removed first (a fresh warehouse); built: then a full build of the stack's days."""
    path = Path(stack.env["SPARKIFY_DUCKDB_PATH"])
    shutil.rmtree(path.parent, ignore_errors=True)
    path.parent.mkdir()
    warehouse = Warehouse(path.parent)
    if built:
        warehouse.build(SPARKIFY_DATA_ROOT=str(data_root))
    return warehouse


def backfill(stack: Stack, first: str, last: str | None = None, timeout: float = 900) -> dict[str, dict]:
    """Runs the hours from first to last (logical dates: hour starts) through the scheduler; their outcome.
    Each test runs hours no other test runs: a run made again counts its tries and launches on from before."""
    run_ids = stack.backfill(DAG_ID, hour(first), hour(last or first))
    assert run_ids, "the backfill created no run"
    return stack.wait_for_runs(DAG_ID, run_ids, timeout=timeout)


def task_log(stack: Stack, run_id: str, task_id: str) -> str:
    """Every try's log of one task of a run, in order."""
    folder = Path(stack.env["AIRFLOW_HOME"]) / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"
    return "".join(path.read_text(errors="replace") for path in sorted(folder.glob("attempt=*.log")))


def states(run: dict) -> dict[str, tuple[str | None, int]]:
    return {task_id: (task["state"], task["try_number"]) for task_id, task in run["tasks"].items()}


def assert_green(runs: dict[str, dict]) -> None:
    for run_id, run in runs.items():
        assert run["state"] == "success", (run_id, states(run))


def assert_deferred_launches(stack: Stack, run_id: str) -> None:
    """The launches of a run with deferred node tasks: each node task once, or twice when it deferred (first
    launch, resume after the triggerer's event), never rescheduled; producers, begin and the checks once."""
    launches = stack.launch_counts(DAG_ID, run_id)
    breakdown = stack.launch_breakdown(DAG_ID, run_id)
    for task_id in CONSUMERS:
        assert 1 <= launches[task_id] <= 2, (task_id, launches[task_id], breakdown.get(task_id))
        assert "reschedules" not in breakdown.get(task_id, {}), task_id
    for task_id in {*PRODUCERS, "quality_checks", "begin"}:
        assert launches[task_id] == 1, (task_id, launches[task_id])


def wait_for_task_state(stack: Stack, run_id: str, task_ids: set[str], state: str, timeout: float = 300) -> str:
    """Until one of task_ids is in state; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = stack.sql(
            "select task_id from task_instance where dag_id = %s and run_id = %s and task_id = any(%s) and state = %s",
            DAG_ID, run_id, list(task_ids), state,
        )  # fmt: skip
        if found:
            return found[0][0]
        stack.check_alive()
        time.sleep(0.2)
    raise TimeoutError(f"none of {task_ids} became {state} in {timeout}s: {stack.runs(DAG_ID, [run_id])}")


def test_six_hour_backfill_across_midnight_runs_green_deferred_one_at_a_time_and_converges(
    duckdb_stack, data_root, expected
):
    """A backfill of 19:00 to 01:00 UTC over two day files, as the scheduler starts hourly runs: six consecutive
    hours. The five runs of the 15th each replace that day (every run after the first changes nothing: each ends
    equal to the same full load), the 23:00 run (ending at midnight) tests the whole history, 00:00 loads the 16th.
    Each run ends green on its own hour, one at a time, and warns of nothing (the sample breaks no rule); each node
    task is launched on a worker at most twice (it defers, the triggerer polls) and nothing is rescheduled; the
    warehouse equals a full build of both days. (This replaces `dags test` of one hour run twice.)"""
    warehouse = stack_warehouse(duckdb_stack, data_root)
    first, last = "2018-11-15T19:00:00+00:00", "2018-11-16T00:00:00+00:00"
    runs = backfill(duckdb_stack, first, last)
    assert len(runs) == 6
    assert_green(runs)
    starts = sorted(run["data_interval_start"].isoformat() for run in runs.values())
    assert starts == [f"2018-11-15T{h}:00:00+00:00" for h in range(19, 24)] + [last]
    for run_id in runs:
        assert_deferred_launches(duckdb_stack, run_id)
        assert not re.search(r"sparkify: \d+ dbt data tests? warned", task_log(duckdb_stack, run_id, "quality_checks"))
    spans = sorted((run["start_date"], run["end_date"]) for run in runs.values())
    assert all(ended <= next_started for (_, ended), (next_started, _) in itertools.pairwise(spans))
    assert snapshot_differences(warehouse.snapshot(), expected(DAYS)) == {}


def test_nothing_of_the_stack_listens_beyond_loopback(duckdb_stack):
    """Every listening socket of the stack's processes (api-server, log server, PostgreSQL, any worker) is on
    127.0.0.1."""
    stack_pids = duckdb_stack.pids()
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
    ours = [line for line in listening if {int(pid) for pid in re.findall(r"pid=(\d+)", line)} & stack_pids]
    assert len(ours) >= 3, listening  # api-server, log server, PostgreSQL at least
    for line in ours:
        assert line.split()[3].startswith("127.0.0.1:"), line
