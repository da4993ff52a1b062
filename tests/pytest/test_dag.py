"""The hourly Cosmos DAG: its contract (args, schedule, graph) and real runs on a temporary DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from conftest import (
    CREDENTIALS,
    HARNESS_BUCKET,
    HARNESS_IAM_ROLE,
    PROJECT_DIR,
    SAMPLE_ROOT,
    Warehouse,
    base_env,
    create_bucket,
    run_dbt,
)
from reference import build_star, read_events, read_songs

RUNNER = Path(__file__).with_name("dag_runner.py")
STAGE = {"stage.stg_sparkify__events_run", "stage.stg_sparkify__songs_run", "stage.app_pages_seed"}
FACT = "songplays_fact.fct_songplays_run"
DIMENSIONS = {f"dimensions.{name}_run" for name in ("dim_users", "dim_songs", "dim_artists", "dim_time")}


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """A throwaway Airflow home (sqlite) and the dbt manifest Cosmos renders the DAG from."""
    home = tmp_path_factory.mktemp("airflow_home")
    parsed = run_dbt(["parse", "--quiet"], home)
    assert parsed.returncode == 0, parsed.output
    env = base_env(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(PROJECT_DIR / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        SPARKIFY_DBT_MANIFEST=str(home / "target" / "manifest.json"),
        # A DuckDB file of this test process's own, never the repo's: tests that run dbt set their own.
        SPARKIFY_DUCKDB_PATH=str(home / "sparkify.duckdb"),
    )
    migrated = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    return env


def dag_runner(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(RUNNER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("DAG_RUNNER_JSON ")]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert lines, done.stdout[-3000:]
    return json.loads(lines[-1].removeprefix("DAG_RUNNER_JSON "))


def airflow_dags_test(env: dict[str, str], dag_id: str, logical_date: str) -> subprocess.CompletedProcess:
    """The README's command: `airflow dags test DAG_ID LOGICAL_DATE`."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    return subprocess.run(
        [airflow, "dags", "test", dag_id, logical_date],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="session")
def described(airflow_env) -> dict:
    return dag_runner(airflow_env, "describe")


def test_dag_imports_without_errors(described):
    assert described["import_errors"] == {}
    assert described["dag_ids"] == ["sparkify_hourly"]


def test_default_args_schedule_and_dates(described):
    assert described["default_args"] == {
        "owner": "data-platform",
        "depends_on_past": "False",
        "retries": "3",
        "retry_delay": "0:05:00",
        "email_on_retry": "False",
    }
    assert "catchup" not in described["default_args"]
    assert described["catchup"] is False
    assert (described["schedule"], described["cron"]) == ("CronDataIntervalTimetable", "0 * * * *")
    assert described["start_date"] == "2018-11-01T00:00:00+00:00"
    assert described["max_active_runs"] == 1
    assert described["max_active_tasks"] == 1  # DuckDB: one writer at a time
    assert {"sparkify", "dbt"} <= set(described["tags"])
    assert "quality checks" in described["doc_md"]
    for task_id, task in described["tasks"].items():
        assert (task["retries"], task["retry_delay_seconds"]) == (3, 300.0), task_id
        assert task["depends_on_past"] is False, task_id
        assert task["email_on_retry"] is False, task_id


def test_graph_reads_like_the_original_design(described):
    upstream = {task_id: set(task["upstream"]) for task_id, task in described["tasks"].items()}
    assert set(upstream) == {"begin", *STAGE, FACT, *DIMENSIONS, "quality_checks", "end"}
    assert upstream["begin"] == set()
    for task_id in STAGE:
        assert upstream[task_id] == {"begin"}, task_id
    assert upstream[FACT] == STAGE
    for task_id in DIMENSIONS:
        assert upstream[task_id] == {FACT}, task_id
    assert upstream["quality_checks"] == DIMENSIONS
    assert upstream["end"] == {"quality_checks"}


def test_graph_is_consistent_with_dbt_lineage(described, airflow_env):
    """Every dbt dependency between rendered nodes is a path in the Airflow graph."""
    manifest = json.loads(Path(airflow_env["SPARKIFY_DBT_MANIFEST"]).read_text())
    task_of = {}
    for task_id in described["tasks"]:
        name = task_id.split(".")[-1].removesuffix("_run").removesuffix("_seed")
        task_of[name] = task_id
    upstream = {task_id: set(task["upstream"]) for task_id, task in described["tasks"].items()}

    def ancestors(task_id: str) -> set[str]:
        seen, todo = set(), [task_id]
        while todo:
            for parent in upstream[todo.pop()]:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    checked = 0
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        for parent in node["depends_on"]["nodes"]:
            parent_name = parent.split(".")[-1]
            if parent_name in task_of:
                assert task_of[parent_name] in ancestors(task_of[node["name"]]), (parent, node["name"])
                checked += 1
    assert checked == 7  # fct ← 2 staging models + seed; dim_users, dim_songs, dim_artists, dim_time ← 1 each


def test_dbt_tasks_get_the_run_window_as_vars(described):
    for task_id in {*STAGE, FACT, *DIMENSIONS, "quality_checks"}:
        assert described["tasks"][task_id]["vars"] == {
            "data_interval_start": "{{ data_interval_start }}",
            "data_interval_end": "{{ data_interval_end }}",
        }, task_id


def test_redshift_configuration(airflow_env):
    """On MWAA: Redshift profile from an Airflow connection, dbt from its own virtualenv, parallel tasks."""
    env = {
        **airflow_env,
        "SPARKIFY_TARGET": "redshift",
        "SPARKIFY_DBT_EXECUTABLE": "/usr/local/airflow/dbt_venv/bin/dbt",
        "SPARKIFY_REDSHIFT_CONN_ID": "sparkify_redshift",
        "SPARKIFY_DATA_ROOT": "s3://udacity-dend",
    }
    described = dag_runner(env, "describe")
    assert described["import_errors"] == {}
    assert described["max_active_tasks"] == 8
    fact = described["tasks"][FACT]
    assert fact["profile"] == "redshift"
    assert fact["conn_id"] == "sparkify_redshift"
    assert fact["dbt_executable"] == "/usr/local/airflow/dbt_venv/bin/dbt"
    assert described["tasks"]["quality_checks"]["dbt_executable"] == "/usr/local/airflow/dbt_venv/bin/dbt"


def window_plays(start: datetime, end: datetime) -> set[str]:
    day = start.strftime("%Y-%m-%d")
    return set(build_star(read_events(SAMPLE_ROOT, days=[day]), read_songs(SAMPLE_ROOT), window=(start, end)).songplays)


def test_dag_run_for_one_hour_loads_exactly_that_hour_and_is_idempotent(airflow_env, new_warehouse):
    warehouse: Warehouse = new_warehouse()
    env = {**airflow_env, "SPARKIFY_DUCKDB_PATH": str(warehouse.path)}
    # The run at 15:00 covers the data interval 14:00-15:00 UTC on 2018-11-15.
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("airflow")),
            "dags",
            "test",
            "sparkify_hourly",
            "2018-11-15T15:00:00+00:00",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finished = [
        line for line in (done.stdout + done.stderr).splitlines() if "DagRun Finished: dag_id=sparkify_hourly" in line
    ]
    assert len(finished) == 1
    assert ", state=success," in finished[0]
    plays = {row[0] for row in warehouse.query("select songplay_id from fct_songplays")}
    assert plays == window_plays(datetime(2018, 11, 15, 14), datetime(2018, 11, 15, 15))
    assert len(plays) > 0
    first = warehouse.snapshot()

    outcome = dag_runner(env, "run", "2018-11-15T15:00:00+00:00")
    assert outcome["state"] == "success"
    assert warehouse.snapshot() == first


def test_hour_without_event_file_is_a_visible_clean_skip(airflow_env, full_build: Warehouse, tmp_path):
    warehouse = full_build.copy_to(tmp_path / "empty_hour")
    before = warehouse.snapshot()
    env = {**airflow_env, "SPARKIFY_DUCKDB_PATH": str(warehouse.path)}
    outcome = dag_runner(env, "run", "2018-12-01T01:00:00+00:00")
    assert outcome["state"] == "success"
    assert outcome["tasks"]["begin"]["state"] == "skipped"
    assert {t["state"] for t in outcome["tasks"].values()} == {"skipped"}
    assert warehouse.snapshot() == before


def test_failing_quality_check_fails_the_run_after_its_retries(airflow_env, full_build: Warehouse, tmp_path):
    warehouse = full_build.copy_to(tmp_path / "failing_check")
    with duckdb.connect(str(warehouse.path)) as con:
        # A song play without a user on another day: the window run does not replace it, and the
        # check "every song play names its user, song, artist and length" must catch it.
        con.execute(
            "insert into staging_events (page, ts, session_id, item_in_session, level)"
            " values ('NextSong', 1541030400000, 999999, 0, 'free')"
        )
    env = {**airflow_env, "SPARKIFY_DUCKDB_PATH": str(warehouse.path)}
    outcome = dag_runner(env, "run", "2018-11-15T15:00:00+00:00", "--retry-delay-seconds", "1")
    assert outcome["state"] == "failed"
    assert outcome["tasks"]["quality_checks"] == {"state": "failed", "try_number": 4}  # 1 try + 3 retries
    assert outcome["tasks"][FACT]["state"] == "success"
    assert outcome["tasks"]["end"]["state"] == "upstream_failed"


def test_dbt_ls_load_mode_renders_the_same_graph(airflow_env, described):
    """Local convenience mode (Cosmos runs dbt ls at parse time) gives the graph the manifest gives."""
    with_ls = dag_runner({**airflow_env, "SPARKIFY_COSMOS_LOAD_MODE": "dbt_ls"}, "describe")
    assert with_ls["import_errors"] == {}
    assert {k: v["upstream"] for k, v in with_ls["tasks"].items()} == {
        k: v["upstream"] for k, v in described["tasks"].items()
    }


def test_docs_dag_publishes_the_single_file_site_to_s3(
    airflow_env, full_build: Warehouse, tmp_path, s3_endpoint, s3_client
):
    warehouse = full_build.copy_to(tmp_path / "docs")
    create_bucket(s3_client, "sparkify-docs-site")
    connection = {
        "conn_type": "aws",
        "login": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "password": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "extra": {"endpoint_url": s3_endpoint, "region_name": "us-west-2"},
    }
    env = {
        **airflow_env,
        **CREDENTIALS,
        "SPARKIFY_DUCKDB_PATH": str(warehouse.path),
        "SPARKIFY_DOCS_BUCKET": "sparkify-docs-site",
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
    }
    assert dag_runner(env, "describe")["dag_ids"] == ["sparkify_docs", "sparkify_hourly"]
    done = airflow_dags_test(env, "sparkify_docs", "2018-11-16T00:00:00+00:00")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = s3_client.get_object(Bucket="sparkify-docs-site", Key="sparkify-docs/static_index.html")["Body"].read()
    assert b"Sparkify song-play warehouse" in page
    assert b"fct_songplays" in page


def test_dag_hour_on_the_redshift_harness(airflow_env, redshift_harness, s3_endpoint, tmp_path):
    """The production wiring: target redshift, manifest load mode, an Airflow connection; one hour, then
    an hour without a file, which the input check turns into a clean skip before any COPY runs."""
    schema = "dag_hour"
    settings = redshift_harness.env(schema)
    parsed = run_dbt(["parse", "--quiet", "--target", "redshift"], tmp_path, base_env(**settings))
    assert parsed.returncode == 0, parsed.output
    connection = {
        "conn_type": "redshift",
        "host": settings["REDSHIFT_HOST"],
        "port": int(settings["REDSHIFT_PORT"]),
        "login": settings["REDSHIFT_USER"],
        "password": settings["REDSHIFT_PASSWORD"],
        "schema": settings["REDSHIFT_DATABASE"],
        "extra": {"sslmode": "disable"},
    }
    env = {
        **airflow_env,
        **CREDENTIALS,
        "SPARKIFY_TARGET": "redshift",
        "SPARKIFY_REDSHIFT_SCHEMA": schema,
        "SPARKIFY_DBT_MANIFEST": str(tmp_path / "target" / "manifest.json"),
        "SPARKIFY_DATA_ROOT": f"s3://{HARNESS_BUCKET}",
        "SPARKIFY_IAM_ROLE": HARNESS_IAM_ROLE,
        "SPARKIFY_S3_ENDPOINT_URL": s3_endpoint,
        "AIRFLOW_CONN_REDSHIFT_DEFAULT": json.dumps(connection),
    }
    done = airflow_dags_test(env, "sparkify_hourly", "2018-11-15T15:00:00+00:00")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finished = [line for line in (done.stdout + done.stderr).splitlines() if "DagRun Finished:" in line]
    assert len(finished) == 1
    assert ", state=success," in finished[0]
    plays = {row[0] for row in redshift_harness.query("select songplay_id from fct_songplays", schema=schema)}
    assert plays == window_plays(datetime(2018, 11, 15, 14), datetime(2018, 11, 15, 15))
    assert settings["REDSHIFT_PASSWORD"] not in done.stdout + done.stderr

    copies_before = sum(1 for s in redshift_harness.statements() if s["sql"].lstrip().lower().startswith("copy"))
    outcome = dag_runner(env, "run", "2018-12-01T01:00:00+00:00")
    assert outcome["state"] == "success"
    assert {t["state"] for t in outcome["tasks"].values()} == {"skipped"}
    copies_after = sum(1 for s in redshift_harness.statements() if s["sql"].lstrip().lower().startswith("copy"))
    assert copies_after == copies_before
