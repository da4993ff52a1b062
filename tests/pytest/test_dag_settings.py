"""The DAG's settings (env / MWAA configuration options) and its input check, without running Airflow."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

import airflow  # noqa: F401  (Airflow must initialise before cosmos, which is one of its plugins)
import pytest
from conftest import CREDENTIALS, PROJECT_DIR, SAMPLE_ROOT, create_bucket

sys.path.insert(0, str(PROJECT_DIR / "dags"))
from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException
from airflow.timetables.interval import CronDataIntervalTimetable
from airflow.utils.types import DagRunType
from cosmos import LoadMode
from sparkify_pipeline.alerts import on_dbt_warnings, warning_summary
from sparkify_pipeline.run_interval import refuse_unasked_interval
from sparkify_pipeline.settings import Settings
from sparkify_pipeline.source_files import event_keys, existing
from sparkify_pipeline.watcher_retry import wait_for_the_build

ROLE = "arn:aws:iam::123456789012:role/sparkify-copy"


def test_mwaa_configuration_options_configure_production():
    settings = Settings.from_env(
        {
            "SPARKIFY_TARGET": "redshift",  # exported by mwaa/startup.sh
            "AIRFLOW__SPARKIFY__DATA_ROOT": "s3://udacity-dend",  # MWAA option sparkify.data_root
            "AIRFLOW__SPARKIFY__IAM_ROLE": ROLE,
            "AIRFLOW__SPARKIFY__REDSHIFT_CONN_ID": "sparkify_redshift",
        }
    )
    assert settings.target == "redshift"
    assert settings.load_mode == LoadMode.DBT_MANIFEST
    assert settings.redshift_conn_id == "sparkify_redshift"
    assert settings.dbt_env["SPARKIFY_DATA_ROOT"] == "s3://udacity-dend"
    assert settings.dbt_env["SPARKIFY_IAM_ROLE"] == ROLE


def test_env_wins_over_configuration_option_and_local_paths_are_absolute():
    settings = Settings.from_env({"SPARKIFY_DATA_ROOT": "data/sparkify", "AIRFLOW__SPARKIFY__DATA_ROOT": "s3://other"})
    assert settings.target == "duckdb"
    assert settings.data_root == str(SAMPLE_ROOT)  # dbt runs in a temporary copy of the project
    assert settings.duckdb_path.is_absolute()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SPARKIFY_TARGET": "snowflake"}, "SPARKIFY_TARGET='snowflake': expected one of duckdb, redshift"),
        ({"SPARKIFY_COSMOS_LOAD_MODE": "fast"}, "SPARKIFY_COSMOS_LOAD_MODE='fast': expected dbt_manifest"),
        *(
            ({f"SPARKIFY_{name}": value}, f"SPARKIFY_{name}={value!r}: expected a positive number of minutes")
            for name in ("INPUT_TIMEOUT_MINUTES", "INPUT_POKE_MINUTES")
            for value in ("0", "-5", "ten", "nan", "inf")
        ),
        *(
            (
                {"AIRFLOW__SPARKIFY__ON_WARNING": value},
                f"SPARKIFY_ON_WARNING={value!r}: expected package.module:function",
            )
            for value in ("alerts", "alerts:notify()", "os.system('rm'):x", "alerts:a:b", "alerts.:notify", "a b:c")
        ),
        *(
            ({"AIRFLOW__SPARKIFY__MAX_ACTIVE_TASKS": value}, f"SPARKIFY_MAX_ACTIVE_TASKS={value!r}: expected a whole")
            for value in ("0", "-2", "2.5", "eight", "100")
        ),
        ({"SPARKIFY_MAX_ACTIVE_TASKS": "4"}, "SPARKIFY_MAX_ACTIVE_TASKS=4: the duckdb target allows one writer, so 1"),
        *(
            ({"SPARKIFY_DBT_TIMEOUT_MINUTES": value}, f"SPARKIFY_DBT_TIMEOUT_MINUTES={value!r}: expected a positive")
            for value in ("0", "-1", "forty", "inf")
        ),
        (
            {"SPARKIFY_WATCHER_CONSUMERS": "poll"},
            "SPARKIFY_WATCHER_CONSUMERS='poll': expected deferrable, reschedule or dags_test",
        ),
        *(
            ({"SPARKIFY_CONSUMER_POKE_SECONDS": value}, f"SPARKIFY_CONSUMER_POKE_SECONDS={value!r}: expected a whole")
            for value in ("0", "-5", "2.5", "ten", "10000")
        ),
        (
            {"SPARKIFY_WATCHER_CONSUMERS": "reschedule", "AIRFLOW__SPARKIFY__CONSUMER_POKE_SECONDS": "5"},
            "SPARKIFY_CONSUMER_POKE_SECONDS=5: reschedule mode looks every 60 s or more (each look is a new task",
        ),
        (
            {"SPARKIFY_WATCHER_CONSUMERS": "dags_test", "SPARKIFY_CONSUMER_POKE_SECONDS": "60"},
            "SPARKIFY_CONSUMER_POKE_SECONDS: not a setting of SPARKIFY_WATCHER_CONSUMERS=dags_test",
        ),
    ],
)
def test_bad_setting_names_the_setting_and_value(env, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "got"),
    [
        ({}, "got none (the default is the local sample folder)"),
        ({"SPARKIFY_DATA_ROOT": "data/sparkify"}, "got 'data/sparkify'"),
        ({"AIRFLOW__SPARKIFY__DATA_ROOT": "/mnt/sparkify"}, "got '/mnt/sparkify'"),
    ],
)
def test_redshift_target_needs_an_s3_data_root(env, got):
    """Redshift COPY reads only S3: a local root would make every run find no file, so the DAG import fails."""
    expected = (
        f"SPARKIFY_TARGET=redshift needs SPARKIFY_DATA_ROOT=s3://bucket[/prefix] (Redshift COPY reads only S3); {got}"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}"):
        Settings.from_env({"SPARKIFY_TARGET": "redshift", **env})


def test_input_wait_and_warning_hook_settings():
    defaults = Settings.from_env({})
    assert (defaults.input_timeout_minutes, defaults.input_poke_minutes, defaults.on_warning) == (60, 5, None)
    settings = Settings.from_env(
        {
            "SPARKIFY_INPUT_TIMEOUT_MINUTES": "0.05",
            "AIRFLOW__SPARKIFY__INPUT_POKE_MINUTES": "0.5",
            "AIRFLOW__SPARKIFY__ON_WARNING": "team_alerts.slack:notify_data_team",
        }
    )
    assert (settings.input_timeout_minutes, settings.input_poke_minutes) == (0.05, 0.5)
    assert settings.on_warning == "team_alerts.slack:notify_data_team"


def test_node_tasks_defer_and_dbt_tasks_time_out_by_default():
    defaults = Settings.from_env({})
    assert (defaults.watcher_consumers, defaults.consumer_poke_seconds, defaults.dbt_timeout_minutes) == (
        "deferrable", 10, 40
    )  # fmt: skip
    assert Settings.from_env({"SPARKIFY_WATCHER_CONSUMERS": "reschedule"}).consumer_poke_seconds == 60
    slower = Settings.from_env({"AIRFLOW__SPARKIFY__DBT_TIMEOUT_MINUTES": "90", "SPARKIFY_CONSUMER_POKE_SECONDS": "30"})
    assert (slower.dbt_timeout_minutes, slower.consumer_poke_seconds) == (90, 30)


HOURLY = CronDataIntervalTimetable("0 * * * *", timezone="UTC")
ASKED = datetime(2018, 11, 15, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("run_type", "interval", "refused"),
    [
        ("manual", (datetime(2018, 11, 15, 14, tzinfo=UTC), ASKED), False),  # `airflow dags test` gives this
        ("manual", (datetime(2026, 12, 6, 18, tzinfo=UTC), datetime(2026, 12, 6, 19, tzinfo=UTC)), True),
        ("backfill", (datetime(2018, 11, 15, 15, tzinfo=UTC), datetime(2018, 11, 15, 16, tzinfo=UTC)), False),
        ("scheduled", (datetime(2018, 11, 15, 15, tzinfo=UTC), datetime(2018, 11, 15, 16, tzinfo=UTC)), False),
    ],
)
def test_manual_run_given_another_hour_than_its_logical_date_fails_naming_both(run_type, interval, refused):
    """Airflow 3.3 gives `airflow dags trigger --logical-date 2018-11-15T15:00` today's last hour: begin refuses
    to load it, without retries, and says how to re-run a past hour."""
    dag = SimpleNamespace(dag_id="sparkify_hourly", timetable=HOURLY)
    run = SimpleNamespace(run_type=DagRunType(run_type), logical_date=ASKED)
    if not refused:
        refuse_unasked_interval(dag, run, *interval)
        return
    with pytest.raises(AirflowFailException) as failed:
        refuse_unasked_interval(dag, run, *interval)
    assert str(failed.value) == (
        "sparkify: this manual run asked for logical date 2018-11-15T15:00:00+00:00, the hour"
        " 2018-11-15T14:00:00+00:00 to 2018-11-15T15:00:00+00:00, but Airflow gave it the data interval"
        " 2026-12-06T18:00:00+00:00 to 2026-12-06T19:00:00+00:00, the hour before it was triggered; nothing was"
        " loaded. To re-run a past hour with `airflow backfill create --dag-id sparkify_hourly"
        " --from-date <hour start> --to-date <hour start>` or by clearing the tasks of that hour's run"
    )


def test_dbt_tasks_at_a_time_default_to_two_on_redshift_and_follow_the_setting():
    production = {"SPARKIFY_TARGET": "redshift", "SPARKIFY_DATA_ROOT": "s3://udacity-dend"}
    assert Settings.from_env({}).max_active_tasks == 1  # DuckDB: one writer
    assert Settings.from_env(production).max_active_tasks == 2
    sized = Settings.from_env({**production, "AIRFLOW__SPARKIFY__MAX_ACTIVE_TASKS": "8"})  # e.g. two mw1.large workers
    assert sized.max_active_tasks == 8


def test_a_failed_mwaa_startup_script_is_the_dag_import_error():
    """startup.sh exports SPARKIFY_STARTUP_ERROR when it could not build dbt: the DAG says so instead of failing
    later in every dbt task with "dbt not found"."""
    error = "offline install of dbt from /usr/local/airflow/plugins failed (see the pip error above)"
    with pytest.raises(RuntimeError, match=r"^the MWAA startup script could not prepare dbt: 'offline install"):
        Settings.from_env({"SPARKIFY_TARGET": "redshift", "SPARKIFY_STARTUP_ERROR": error})


WARNED = "Got 3 results, configured to warn if >0"


def test_warning_summary_has_one_entry_per_warned_test():
    summary = warning_summary(["rejected_lines", "unkeyed"], [WARNED, "Got 1 result"])
    assert summary == f"sparkify: 2 dbt data tests warned: rejected_lines: {WARNED}; unkeyed: Got 1 result"
    assert warning_summary(["unkeyed"], ["Got 1 result"]) == "sparkify: 1 dbt data test warned: unkeyed: Got 1 result"


@pytest.mark.parametrize("hook", ["sparkify_no_such_module:notify", "json:no_such_function"])
def test_warning_hook_that_cannot_be_imported_fails_the_task_naming_the_setting(hook, caplog):
    """The summary is logged first; then the task fails at once (no retry), saying which setting is wrong."""
    context = {"test_names": ["rejected_lines"], "test_results": [WARNED]}
    with pytest.raises(AirflowFailException, match=f"^SPARKIFY_ON_WARNING='{hook}' cannot be imported: "):
        on_dbt_warnings(context, hook=hook)
    assert f"sparkify: 1 dbt data test warned: rejected_lines: {WARNED}" in caplog.messages


def test_event_keys_follow_the_dbt_projects_day_files():
    start, end = datetime(2018, 11, 15, 23, tzinfo=UTC), datetime(2018, 11, 16, 1, tzinfo=UTC)
    assert event_keys(PROJECT_DIR, start, end) == [
        "log_data/2018/11/2018-11-15-events.json",
        "log_data/2018/11/2018-11-16-events.json",
    ]
    hour = (datetime(2018, 11, 15, 14, tzinfo=UTC), datetime(2018, 11, 15, 15, tzinfo=UTC))
    assert event_keys(PROJECT_DIR, *hour) == ["log_data/2018/11/2018-11-15-events.json"]
    assert event_keys(PROJECT_DIR, None, None) == ["log_data/"]


def test_existing_finds_local_day_files():
    keys = ["log_data/2018/11/2018-11-15-events.json", "log_data/2018/12/2018-12-01-events.json", "log_data/"]
    assert existing(str(SAMPLE_ROOT), keys) == ["log_data/2018/11/2018-11-15-events.json", "log_data/"]


def test_existing_finds_s3_day_files(s3_endpoint, s3_client, monkeypatch):
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    create_bucket(s3_client, "input-check")
    s3_client.put_object(Bucket="input-check", Key="raw/log_data/2018/11/2018-11-15-events.json", Body=b"{}\n")
    keys = ["log_data/2018/11/2018-11-15-events.json", "log_data/2018/11/2018-11-16-events.json"]
    assert existing("s3://input-check/raw", keys, s3_endpoint) == ["log_data/2018/11/2018-11-15-events.json"]


class _NodeTask:
    producer_task_id = "songplays_fact.dbt_producer_watcher"

    def __init__(self, producer_state: str, node_status: str | None = "error") -> None:
        self.producer_state, self.node_status = producer_state, node_status

    def _get_producer_task_status(self, context) -> str:
        return self.producer_state

    def _get_node_status(self, ti, context) -> str | None:
        return self.node_status


@pytest.mark.parametrize(
    ("try_number", "producer_state", "node_status", "waits"),
    [
        (2, "running", "error", True),  # Cosmos #2947: the build that failed the node still runs
        (2, "up_for_retry", "error", True),  # Cosmos #3001: the build waits out its own retry delay
        (2, "queued", "error", True),  # a cleared run whose new build has not started: the old status
        (2, "skipped", "error", False),  # the build's retry handed over: run the node alone
        (4, "failed", "error", False),
        (2, "success", "error", False),
        (2, "running", None, False),  # a cleared (re-run) hour: watch the new build
        (2, "running", "success", False),
        (1, "running", "error", False),  # a first try fails on its node's status, as Cosmos designs it
    ],
)
def test_node_retry_waits_while_the_build_that_failed_its_node_is_alive(
    try_number, producer_state, node_status, waits, capsys
):
    task = _NodeTask(producer_state, node_status)
    ti = SimpleNamespace(try_number=try_number, task=task, _ti_context_from_server=None)
    if not waits:
        wait_for_the_build({"ti": ti})
        return
    before = datetime.now(tz=UTC)
    with pytest.raises(AirflowRescheduleException) as rescheduled:
        wait_for_the_build({"ti": ti})
    assert 59 <= (rescheduled.value.reschedule_date - before).total_seconds() <= 61  # once a minute
    assert f"try 2 waits for songplays_fact.dbt_producer_watcher ({producer_state}) to end" in capsys.readouterr().out


def test_resumed_node_task_and_the_producer_never_wait():
    resumed = SimpleNamespace(
        try_number=2, task=_NodeTask("running"), _ti_context_from_server=SimpleNamespace(next_method="execute_complete")
    )
    wait_for_the_build({"ti": resumed})
    producer = SimpleNamespace(try_number=2, task=SimpleNamespace(), _ti_context_from_server=None)
    wait_for_the_build({"ti": producer})
