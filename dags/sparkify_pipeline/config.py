"""The Cosmos configs of the Sparkify DAGs, built once from the settings (sparkify_pipeline/settings.py, where
every SPARKIFY_* setting is listed and validated): the dbt tasks' environment, the project, profile and
execution configs, the layers of the graph and the keyword arguments of each dbt task group and task.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos import settings as cosmos_settings
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from sparkify_pipeline.dbt_ls import layer_files
from sparkify_pipeline.redshift_profile import redshift_profile
from sparkify_pipeline.settings import SETTINGS
from sparkify_pipeline.watcher_retry import wait_for_the_build

# Airflow passes the run's data interval to dbt as env vars the dbt project reads when no window var is
# given (macros/sparkify_settings.sql); a manual run without an interval renders "None": full mode. Not
# --vars: dbt drops its whole partial parse whenever vars change, so every hour would re-parse the project,
# while a changed env var re-parses only the files that read it.
# The data tests of a run read only the days it replaced, except in the run that ends at 00:00 UTC, which
# tests the whole history once a day (docs/hourly-contract.md "Which check runs when").
WINDOW_ENV = {
    "SPARKIFY_DATA_INTERVAL_START": "{{ data_interval_start }}",
    "SPARKIFY_DATA_INTERVAL_END": "{{ data_interval_end }}",
    "SPARKIFY_TEST_SCOPE": "{{ 'history' if data_interval_end is none or data_interval_end.hour == 0 else 'window' }}",
}

if SETTINGS.target == "redshift":  # sparkify_pipeline/redshift_profile.py: a target per deployment and auth
    PROFILE_CONFIG, CONNECTION_ENV = redshift_profile(SETTINGS, SETTINGS.project_dir / "profiles.yml")
else:
    PROFILE_CONFIG = ProfileConfig(
        profile_name="sparkify", target_name="duckdb", profiles_yml_filepath=SETTINGS.project_dir / "profiles.yml"
    )
    CONNECTION_ENV = {}
# The dbt tasks' environment: the settings, and the connection's templates Airflow renders at run time.
TASK_ENV = {**SETTINGS.dbt_env, **CONNECTION_ENV, **WINDOW_ENV}

PROJECT_CONFIG = ProjectConfig(
    dbt_project_path=SETTINGS.project_dir,
    manifest_path=SETTINGS.manifest_path if SETTINGS.load_mode != LoadMode.DBT_LS else None,
    install_dbt_deps=False,
    env_vars=TASK_ENV,
)

# How each layer runs dbt (SPARKIFY_EXECUTION_MODE):
# - watcher (default): one `dbt build` of the layer's nodes (the producer task), and a task per node that
#   shows that node's status from the build's events (a consumer). A consumer whose node failed is retried
#   3 times, 5 minutes apart, and each retry runs `dbt run` for that node alone. The producer itself never
#   re-runs the build: its retry only hands over to the consumers' retries, so it comes after a short
#   delay, well before the first consumer retry (Cosmos #3001: a consumer retry that comes while the
#   producer waits to retry fails without running dbt).
#   Consumers defer by default (SPARKIFY_WATCHER_CONSUMERS): the triggerer polls the build's events, and a
#   consumer is launched on a worker about twice. Reschedule mode launches it again for every look, so it
#   looks once a minute at most; dags_test mode (reschedule, 5 s) is for `airflow dags test`, which runs
#   triggers inline and would hang on deferred consumers (apache/airflow#56723).
# - local: one dbt process per node, each with its own parse (the design before issue 13; kept to compare).
# Every dbt task has an execution_timeout (SPARKIFY_DBT_TIMEOUT_MINUTES): a hung build fails its try instead
# of holding the hour and every hour after it (max_active_runs=1). A consumer waits for the whole build, so
# its wait gets CONSUMER_TIMEOUT_MARGIN more: it sees the build end, or time out, before its own wait ends.
# Retries: a node task's retry that starts while its layer's build is still alive would fail without running
# dbt in Cosmos 1.15.1 (#2947, #3001); sparkify_pipeline/watcher_retry.py reschedules it until the build ends.
PRODUCER_RETRY_DELAY = timedelta(seconds=30)
DBT_TIMEOUT = timedelta(minutes=SETTINGS.dbt_timeout_minutes)
CONSUMER_TIMEOUT_MARGIN = timedelta(minutes=10)
_invocation: dict[str, Any] = (
    # MWAA: dbt in its own virtualenv, run as a subprocess
    {"invocation_mode": InvocationMode.SUBPROCESS, "dbt_executable_path": SETTINGS.dbt_executable}
    if SETTINGS.dbt_executable
    # local: dbt in Airflow's own virtualenv, run in-process
    else {"invocation_mode": InvocationMode.DBT_RUNNER}
)


def consumer_args(wait: str, poke_seconds: int) -> dict[str, Any]:
    """How a watcher node task waits for its node's status (a sensor), and how long at most."""
    limit = DBT_TIMEOUT + CONSUMER_TIMEOUT_MARGIN
    common = {"poke_interval": poke_seconds, "execution_timeout": limit, "pre_execute": wait_for_the_build}
    if wait == "deferrable":  # the deferral's timeout is the execution_timeout
        return {"deferrable": True, **common}
    # reschedule: execution_timeout bounds one look, the sensor timeout the whole wait
    return {"deferrable": False, "mode": "reschedule", "timeout": limit, **common}


if SETTINGS.execution_mode == "watcher":
    EXECUTION_CONFIG = ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER,
        # the producer never waits for itself: no pre_execute
        setup_operator_args={
            "retry_delay": PRODUCER_RETRY_DELAY,
            "execution_timeout": DBT_TIMEOUT,
            "pre_execute": None,
        },
        **_invocation,
    )
    CONSUMER_ARGS: dict[str, Any] = consumer_args(SETTINGS.watcher_consumers, SETTINGS.consumer_poke_seconds)
else:
    EXECUTION_CONFIG = ExecutionConfig(execution_mode=ExecutionMode.LOCAL, **_invocation)
    CONSUMER_ARGS = {"execution_timeout": DBT_TIMEOUT}

# Every dbt task of the layers: no Airflow assets; the window comes by env (WINDOW_ENV).
OPERATOR_ARGS: dict[str, Any] = {"emit_datasets": False, **CONSUMER_ARGS}

# The layers of the graph (task group id -> dbt selectors): a new model lands in its layer by its tag.
LAYERS: dict[str, list[str]] = {
    "stage": ["tag:staging"],
    "songplays_fact": ["tag:fact"],
    "dimensions": ["tag:dimension"],
}
# Load mode dbt_ls: one `dbt ls` for every layer at import (sparkify_pipeline/dbt_ls.py), not one each.
DBT_LS_FILES = (
    layer_files(SETTINGS.project_dir, SETTINGS.target, LAYERS, SETTINGS.dbt_env, SETTINGS.dbt_executable)
    if SETTINGS.load_mode == LoadMode.DBT_LS
    else {}
)


def render_config(layer: str) -> RenderConfig:
    """One layer of the graph: the dbt nodes of its selectors, one task per node, tests apart."""
    if layer in DBT_LS_FILES:
        # The file already holds only this layer's nodes; select is what the watcher's producer builds.
        return RenderConfig(
            load_method=LoadMode.DBT_LS_FILE,
            dbt_ls_path=DBT_LS_FILES[layer],
            select=LAYERS[layer],
            test_behavior=TestBehavior.NONE,
        )
    config = RenderConfig(select=LAYERS[layer], test_behavior=TestBehavior.NONE, load_method=SETTINGS.load_mode)
    if SETTINGS.dbt_executable:  # automatic mode falls back to Cosmos' own dbt ls when there is no manifest
        config.invocation_mode = InvocationMode.SUBPROCESS
        config.dbt_executable_path = SETTINGS.dbt_executable
    return config


def layer_args(layer: str) -> dict[str, Any]:
    """Keyword arguments of the DbtTaskGroup of one layer (a key of LAYERS)."""
    return {
        "group_id": layer,
        "project_config": PROJECT_CONFIG,
        "profile_config": PROFILE_CONFIG,
        "execution_config": EXECUTION_CONFIG,
        "render_config": render_config(layer),
        "operator_args": OPERATOR_ARGS,
    }


def dbt_task_args(*, window: bool = True, parse_cache_of: str | None = None) -> dict[str, Any]:
    """Keyword arguments of a single Cosmos operator (quality checks, docs).

    window: give dbt the run's data interval (WINDOW_ENV); without it, dbt runs in full mode.
    parse_cache_of: the Cosmos cache folder (DAG id__group id) whose dbt partial parse the task reuses and
    updates, as the task groups do with their own; the group that ran just before holds this run's parse.
    """
    args: dict[str, Any] = {
        "profile_config": PROFILE_CONFIG,
        "project_dir": str(SETTINGS.project_dir),
        "env": TASK_ENV if window else {**SETTINGS.dbt_env, **CONNECTION_ENV},
        "invocation_mode": EXECUTION_CONFIG.invocation_mode,
        "install_deps": False,
        "emit_datasets": False,
        "execution_timeout": DBT_TIMEOUT,
    }
    if parse_cache_of and cosmos_settings.enable_cache and cosmos_settings.enable_cache_partial_parse:
        args["cache_dir"] = Path(cosmos_settings.cache_dir) / parse_cache_of
    if SETTINGS.dbt_executable:
        args["dbt_executable_path"] = SETTINGS.dbt_executable
    return args
