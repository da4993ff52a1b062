"""The hourly Cosmos DAG: its contract (args, schedule, graph) and real runs on a temporary DuckDB."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from conftest import (
    CREDENTIALS,
    DBT,
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
LAYERS = {"stage": "tag:staging", "songplays_fact": "tag:fact", "dimensions": "tag:dimension"}
# Execution mode watcher: per layer, the task running its one `dbt build`, and the gate after it.
PRODUCER = {layer: f"{layer}.dbt_producer_watcher" for layer in LAYERS}
DONE = {layer: f"{layer}.dbt_producer_watcher_done" for layer in LAYERS}
WARNING_SUMMARY = re.compile(r"sparkify: (\d+) dbt data tests? warned: (.*)")
# `airflow dags test` runs triggers inline, so deferred node tasks could wait on a producer that has not
# started (apache/airflow#56723): its runs use the test-only setting (docs/airflow.md "DAG settings"). The production
# defaults run under a real scheduler and triggerer in test_airflow_stack.py.
DAGS_TEST = {"SPARKIFY_WATCHER_CONSUMERS": "dags_test"}


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
        # Cosmos' partial-parse cache of this Airflow home: the default /tmp/cosmos is shared by every checkout.
        AIRFLOW__COSMOS__CACHE_DIR=str(home / "cosmos_cache"),
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


def dag_runner_with_logs(env: dict[str, str], *args: str) -> tuple[dict, str]:
    """dag_runner.py's JSON, and its output: with `run`, the logs of every task (dag.test() runs them in-process)."""
    done = subprocess.run(
        [sys.executable, str(RUNNER), *args],
        env={**env, **DAGS_TEST} if args[0] == "run" else env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("DAG_RUNNER_JSON ")]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert lines, done.stdout[-3000:]
    return json.loads(lines[-1].removeprefix("DAG_RUNNER_JSON ")), done.stdout + done.stderr


def dag_runner(env: dict[str, str], *args: str) -> dict:
    return dag_runner_with_logs(env, *args)[0]


def airflow_dags_test(env: dict[str, str], dag_id: str, logical_date: str) -> subprocess.CompletedProcess:
    """The command of docs/airflow.md: `airflow dags test DAG_ID LOGICAL_DATE`."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    return subprocess.run(
        [airflow, "dags", "test", dag_id, logical_date],
        env={**env, **DAGS_TEST},
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
        # A producer's retry never re-runs the build; it hands over to its consumers' retries, so it comes soon.
        delay = 30.0 if task_id in PRODUCER.values() else 300.0
        assert (task["retries"], task["retry_delay_seconds"]) == (3, delay), task_id
        assert task["depends_on_past"] is False, task_id
        assert task["email_on_retry"] is False, task_id


def test_graph_reads_like_the_original_design(described):
    """begin → stage songs ∥ stage events → songplays fact → four dimensions → quality checks → end: a task per
    dbt node, each layer after the whole layer before it; each layer's one `dbt build` beside its nodes."""
    upstream = {task_id: set(task["upstream"]) for task_id, task in described["tasks"].items()}
    assert set(upstream) == {
        "begin", *STAGE, FACT, *DIMENSIONS, *PRODUCER.values(), *DONE.values(), "quality_checks", "end"
    }  # fmt: skip
    assert upstream["begin"] == set()
    for task_id in {*STAGE, PRODUCER["stage"]}:
        assert upstream[task_id] == {"begin"}, task_id
    for task_id in {FACT, PRODUCER["songplays_fact"]}:
        assert upstream[task_id] == {*STAGE, DONE["stage"]}, task_id
    for task_id in {*DIMENSIONS, PRODUCER["dimensions"]}:
        assert upstream[task_id] == {FACT, DONE["songplays_fact"]}, task_id
    for layer in LAYERS:
        assert upstream[DONE[layer]] == {PRODUCER[layer]}
    assert upstream["quality_checks"] == {*DIMENSIONS, DONE["dimensions"]}
    assert upstream["end"] == {"quality_checks"}


def test_each_layer_builds_once_and_its_node_tasks_wait_in_the_triggerer(described):
    """Watcher mode: the producer builds exactly its layer's tag; the node tasks defer (the triggerer polls the
    build's events every 10 s, no worker slot held, about 2 launches each) and wait at most 10 minutes longer than
    the build may take, so they see it end; a retry first waits for the build to end (watcher_retry.py); every
    dbt task has the 40-minute execution timeout."""
    for layer, tag in LAYERS.items():
        assert described["tasks"][PRODUCER[layer]]["select"] == tag, layer
        assert described["tasks"][PRODUCER[layer]]["execution_timeout_seconds"] == 2400.0, layer
        assert described["tasks"][PRODUCER[layer]]["pre_execute"] is None, layer
    for task_id in {*STAGE, FACT, *DIMENSIONS}:
        task = described["tasks"][task_id]
        assert (task["deferrable"], task["poke_interval_seconds"]) == (True, 10.0), task_id
        assert task["execution_timeout_seconds"] == 3000.0, task_id
        assert task["pre_execute"] == "wait_for_the_build", task_id
    assert described["tasks"]["quality_checks"]["execution_timeout_seconds"] == 2400.0


@pytest.mark.parametrize(
    ("settings", "mode", "poke"),
    [
        ({"SPARKIFY_WATCHER_CONSUMERS": "reschedule"}, "reschedule", 60.0),
        ({"SPARKIFY_WATCHER_CONSUMERS": "reschedule", "SPARKIFY_CONSUMER_POKE_SECONDS": "90"}, "reschedule", 90.0),
        (DAGS_TEST, "reschedule", 5.0),
    ],
)
def test_node_tasks_reschedule_only_when_a_setting_asks(airflow_env, settings, mode, poke):
    """Reschedule mode is a new task launch per look: once a minute at most, except for `airflow dags test`."""
    tasks = dag_runner({**airflow_env, **settings}, "describe")["tasks"]
    for task_id in {*STAGE, FACT, *DIMENSIONS}:
        assert (tasks[task_id]["deferrable"], tasks[task_id]["mode"]) == (False, mode), task_id
        assert tasks[task_id]["poke_interval_seconds"] == poke, task_id
        assert tasks[task_id]["timeout_seconds"] == 3000.0, task_id


def test_local_execution_mode_renders_one_dbt_task_per_node(airflow_env):
    """SPARKIFY_EXECUTION_MODE=local, the design before watcher (kept to compare): no producers, same layers."""
    local = dag_runner({**airflow_env, "SPARKIFY_EXECUTION_MODE": "local"}, "describe")
    assert local["import_errors"] == {}
    upstream = {task_id: set(task["upstream"]) for task_id, task in local["tasks"].items()}
    assert set(upstream) == {"begin", *STAGE, FACT, *DIMENSIONS, "quality_checks", "end"}
    assert upstream[FACT] == STAGE
    for task_id in DIMENSIONS:
        assert upstream[task_id] == {FACT}, task_id
    assert upstream["quality_checks"] == DIMENSIONS


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
        if "semantic" in node["tags"]:  # MetricFlow's tables: built by the docs DAG, not rendered here
            assert node["name"] not in task_of, node["name"]
            continue
        for parent in node["depends_on"]["nodes"]:
            parent_name = parent.split(".")[-1]
            if parent_name in task_of:
                assert task_of[parent_name] in ancestors(task_of[node["name"]]), (parent, node["name"])
                checked += 1
    assert checked == 7  # fct ← 2 staging models + seed; dim_users, dim_songs, dim_artists, dim_time ← 1 each


def test_dbt_tasks_get_the_run_window_by_env_not_vars(described):
    """By env: dbt keeps its partial parse from hour to hour (new --vars would re-parse the whole project)."""
    for task_id in {*STAGE, FACT, *DIMENSIONS, *PRODUCER.values(), "quality_checks"}:
        task = described["tasks"][task_id]
        assert not task["vars"], task_id
        assert task["env"]["SPARKIFY_DATA_INTERVAL_START"] == "{{ data_interval_start }}", task_id
        assert task["env"]["SPARKIFY_DATA_INTERVAL_END"] == "{{ data_interval_end }}", task_id
        assert "data_interval_end.hour == 0" in task["env"]["SPARKIFY_TEST_SCOPE"], task_id


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
    assert described["max_active_tasks"] == 2  # SPARKIFY_MAX_ACTIVE_TASKS' default: one per vCPU of mw1.medium
    fact = described["tasks"][FACT]
    assert fact["profile"] == "redshift"
    assert fact["conn_id"] == "sparkify_redshift"
    assert fact["dbt_executable"] == "/usr/local/airflow/dbt_venv/bin/dbt"
    assert described["tasks"]["quality_checks"]["dbt_executable"] == "/usr/local/airflow/dbt_venv/bin/dbt"


def test_begin_waits_for_the_input_in_reschedule_mode_with_the_default_limits(described):
    """Without settings, begin looks every 5 minutes for 1 hour, freeing its worker slot in between."""
    begin = described["tasks"]["begin"]
    assert (begin["mode"], begin["poke_interval_seconds"], begin["timeout_seconds"]) == ("reschedule", 300.0, 3600.0)


def test_redshift_target_without_an_s3_data_root_fails_the_dag_import(airflow_env):
    """Not a DAG whose every run finds no file in a local folder: an import error naming the setting."""
    env = {**airflow_env, "SPARKIFY_TARGET": "redshift"}
    assert "SPARKIFY_DATA_ROOT" not in env
    described = dag_runner(env, "describe")
    assert described["dag_ids"] == []
    errors = {Path(path).name: error for path, error in described["import_errors"].items()}
    assert "SPARKIFY_TARGET=redshift needs SPARKIFY_DATA_ROOT=s3://bucket[/prefix]" in errors["sparkify_dag.py"]


def window_plays(start: datetime, end: datetime) -> set[str]:
    day = start.strftime("%Y-%m-%d")
    return set(build_star(read_events(SAMPLE_ROOT, days=[day]), read_songs(SAMPLE_ROOT), window=(start, end)).songplays)


HOOK_MODULE = """
import json
from pathlib import Path


def notify(context):
    with Path(__file__).with_name("hook_calls.jsonl").open("a") as calls:
        calls.write(json.dumps({"task_id": context["ti"].task_id, "test_names": list(context["test_names"])}) + "\\n")
"""


@pytest.mark.parametrize("invocation", ["dbt_runner", "subprocess"])
def test_warning_quality_check_reaches_the_task_log_and_the_on_warning_hook(
    airflow_env, full_build: Warehouse, tmp_path, invocation: str
):
    """A warn-level test that warns leaves the run green, but says so in the quality_checks log and calls the
    hook of SPARKIFY_ON_WARNING; dbt in-process (local) and dbt as a subprocess (MWAA) alike. The warehouse
    is already loaded: the model tasks are marked succeeded, begin and the quality checks really run."""
    warehouse = full_build.copy_to(tmp_path / "warning_check")
    with duckdb.connect(str(warehouse.path)) as con:
        # An event without its key, at 12:00 on the run's day (the model tasks are marked done, so nothing
        # reloads that day): staging leaves it out, and the warn-level check unkeyed_landing_rows counts it.
        con.execute("insert into staging_events (page, ts, level) values ('Home', 1542283200000, 'free')")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sparkify_test_alerts.py").write_text(HOOK_MODULE)
    env = {
        **airflow_env,
        "SPARKIFY_DUCKDB_PATH": str(warehouse.path),
        "SPARKIFY_ON_WARNING": "sparkify_test_alerts:notify",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hooks), airflow_env.get("PYTHONPATH")])),
    }
    if invocation == "subprocess":
        env["SPARKIFY_DBT_EXECUTABLE"] = str(DBT)
    models = r"(stage|songplays_fact|dimensions)\..+"
    outcome, logs = dag_runner_with_logs(env, "run", "2018-11-15T15:00:00+00:00", "--mark-success", models)
    assert outcome["state"] == "success"
    assert outcome["tasks"]["quality_checks"] == {"state": "success", "try_number": 1, "reschedules": 0}
    assert "Done. PASS=" in logs  # dbt test ran

    summaries = WARNING_SUMMARY.findall(logs)
    assert len(summaries) == 1, logs[-3000:]
    count, warned = summaries[0]
    assert count == "1"
    name, _, message = warned.partition(": ")
    assert name.startswith("unkeyed_landing_rows_stg_sparkify__events_"), warned
    assert message.startswith("Got 1 result, configured to warn if != 0"), warned
    calls = [json.loads(line) for line in (hooks / "hook_calls.jsonl").read_text().splitlines()]
    assert calls == [{"task_id": "quality_checks", "test_names": [name]}]


def test_dbt_ls_load_mode_renders_the_same_graph(airflow_env, described):
    """Local convenience mode (Cosmos runs dbt ls at parse time) gives the graph the manifest gives."""
    with_ls = dag_runner({**airflow_env, "SPARKIFY_COSMOS_LOAD_MODE": "dbt_ls"}, "describe")
    assert with_ls["import_errors"] == {}
    assert {k: v["upstream"] for k, v in with_ls["tasks"].items()} == {
        k: v["upstream"] for k, v in described["tasks"].items()
    }
    for layer, tag in LAYERS.items():  # each producer builds its layer, not the whole project
        assert with_ls["tasks"][PRODUCER[layer]]["select"] == tag, layer


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
    described = dag_runner(env, "describe")
    assert described["dag_ids"] == ["sparkify_docs", "sparkify_hourly"]
    done = airflow_dags_test(env, "sparkify_docs", "2018-11-16T00:00:00+00:00")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = s3_client.get_object(Bucket="sparkify-docs-site", Key="sparkify-docs/static_index.html")["Body"].read()
    assert b"Sparkify song-play warehouse" in page
    assert b"fct_songplays" in page
    assert b"report.html" in page  # the overview links to the report, published next to it
    report = s3_client.get_object(Bucket="sparkify-docs-site", Key="sparkify-docs/report.html")["Body"].read()
    assert b"Sparkify listening report" in report
    assert b"data-metric='plays'" in report
    assert b"No data yet" not in report


def harness_dag_env(
    airflow_env: dict[str, str], settings: dict[str, str], schema: str, target: str, s3_endpoint: str, tmp_path: Path
) -> dict[str, str]:
    """The DAG's production settings against a harness: the manifest parsed for target, the harness as the
    Airflow connection redshift_default, data from its bucket."""
    parsed = run_dbt(["parse", "--quiet", "--target", target], tmp_path, base_env(**settings))
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
    return {
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


def test_dag_hour_on_the_redshift_harness(airflow_env, redshift_harness, s3_endpoint, tmp_path):
    """The production wiring of a provisioned cluster: target redshift, manifest load mode, Cosmos' password
    mapping of an Airflow connection; one hour loads its day. (Serverless, under a real scheduler and
    triggerer: test_airflow_stack_redshift.py; an hour whose file never comes: test_airflow_stack.py.)"""
    schema = "dag_hour"
    settings = redshift_harness.env(schema)
    env = harness_dag_env(airflow_env, settings, schema, "redshift", s3_endpoint, tmp_path)
    done = airflow_dags_test(env, "sparkify_hourly", "2018-11-15T15:00:00+00:00")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finished = [line for line in (done.stdout + done.stderr).splitlines() if "DagRun Finished:" in line]
    assert len(finished) == 1
    assert ", state=success," in finished[0]
    plays = {row[0] for row in redshift_harness.query("select songplay_id from fct_songplays", schema=schema)}
    assert plays == window_plays(datetime(2018, 11, 15), datetime(2018, 11, 16))
    assert settings["REDSHIFT_PASSWORD"] not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("deployment", "auth", "target"),
    [
        ("provisioned", "password", "redshift"),
        ("provisioned", "iam", "redshift_iam"),
        ("serverless", "password", "redshift_serverless"),
        ("serverless", "iam", "redshift_serverless_iam"),
    ],
)
def test_each_redshift_deployment_and_auth_gets_its_profile(airflow_env, deployment, auth, target):
    """A ProfileConfig per mode: Cosmos' password mapping for a provisioned cluster, the project's profiles.yml
    target fed from the Airflow connection at run time for the others (IAM: no password anywhere)."""
    env = {
        **airflow_env,
        "SPARKIFY_TARGET": "redshift",
        "SPARKIFY_DATA_ROOT": "s3://udacity-dend",
        "SPARKIFY_REDSHIFT_DEPLOYMENT": deployment,
        "SPARKIFY_REDSHIFT_AUTH": auth,
        "SPARKIFY_REDSHIFT_CONN_ID": "sparkify_redshift",
    }
    described = dag_runner(env, "describe")
    assert described["import_errors"] == {}
    fact = described["tasks"][FACT]
    assert fact["profile"] == target
    assert fact["conn_id"] == ("sparkify_redshift" if target == "redshift" else None)
    task_env = fact["env"]
    assert task_env["SPARKIFY_REDSHIFT_DEPLOYMENT"] == deployment
    if target != "redshift":
        assert task_env["REDSHIFT_HOST"] == "{{ conn.sparkify_redshift.host }}"
        assert ("REDSHIFT_PASSWORD" in task_env) == (auth == "password")
