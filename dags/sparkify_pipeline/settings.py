"""Settings of the Sparkify DAG: read once from the environment and validated (config.py builds the Cosmos
configs from them).

Each setting NAME is read from env SPARKIFY_NAME, else from AIRFLOW__SPARKIFY__NAME (an Airflow
configuration option sparkify.name: how MWAA passes them). All are optional locally; on MWAA,
startup.sh exports the fixed ones and the environment's configuration options give the rest.
    SPARKIFY_TARGET            duckdb (default) or redshift
    SPARKIFY_DBT_PROJECT_DIR   the dbt project (default: the repo root, or dags/dbt/sparkify on MWAA)
    SPARKIFY_DBT_MANIFEST      manifest.json for LoadMode.DBT_MANIFEST (default: <project>/target/manifest.json)
    SPARKIFY_COSMOS_LOAD_MODE  dbt_manifest | dbt_ls | automatic (default: dbt_manifest on redshift, else automatic);
                               dbt_ls runs one `dbt ls` per import for every layer (sparkify_pipeline/dbt_ls.py)
    SPARKIFY_DBT_EXECUTABLE    dbt in its own virtualenv (MWAA); default: dbt run in-process
    SPARKIFY_DATA_ROOT         local folder or s3://bucket holding log_data/ and song_data/
                               (redshift: must be s3://bucket[/prefix], Redshift COPY reads only S3)
    SPARKIFY_DUCKDB_PATH       the DuckDB file (default: <project>/sparkify.duckdb)
    SPARKIFY_REDSHIFT_CONN_ID  Airflow connection of the Redshift cluster or workgroup (default: redshift_default)
    SPARKIFY_REDSHIFT_DEPLOYMENT  provisioned (default) or serverless; also passed on to dbt
    SPARKIFY_REDSHIFT_AUTH     password (default) or iam: with the deployment, picks the profiles.yml target
                               (sparkify_pipeline/redshift_profile.py)
    SPARKIFY_REDSHIFT_SCHEMA   schema of the models on Redshift (default: sparkify)
    SPARKIFY_IAM_ROLE, SPARKIFY_S3_REGION, SPARKIFY_S3_ENDPOINT_URL: passed on to dbt.
    SPARKIFY_DOCS_BUCKET, SPARKIFY_DOCS_PREFIX (sparkify-docs), SPARKIFY_DOCS_CONN_ID (aws_default):
                               where the daily docs DAG publishes the docs site (no bucket: no docs DAG)
    SPARKIFY_INPUT_TIMEOUT_MINUTES (60), SPARKIFY_INPUT_POKE_MINUTES (5): how long `begin` waits for the
                               run's event files before it fails the run, and how often it looks
                               (positive numbers of minutes, fractions allowed)
    SPARKIFY_ON_WARNING        package.module:function, called with the task context when dbt data tests of
                               quality_checks warn, after the summary in the task log (sparkify_pipeline/alerts.py)
    SPARKIFY_MAX_ACTIVE_TASKS  dbt tasks of one run at a time on redshift (default 2: Cosmos advises about one
                               dbt process per worker vCPU; docs/mwaa.md sizes it per environment
                               class). DuckDB has one writer: 1, always.
    SPARKIFY_EXECUTION_MODE    watcher (default): one `dbt build` per layer and a task per node showing its
                               status; local: one dbt process per node (the earlier design, kept to compare)
    SPARKIFY_WATCHER_CONSUMERS how the node tasks of watcher mode wait for their node: deferrable (default: the
                               triggerer polls, MWAA has one), reschedule (a new task launch per look, so a look
                               every 60 s or more), or dags_test (reschedule every 5 s: only for `airflow dags test`,
                               which has no triggerer and runs triggers inline)
    SPARKIFY_CONSUMER_POKE_SECONDS  seconds between a node task's looks (default 10 deferrable, 60 reschedule;
                               reschedule refuses less than 60, Airflow's guidance for reschedule mode)
    SPARKIFY_DBT_TIMEOUT_MINUTES  execution_timeout of every dbt task (default 40): a hung COPY or session fails
                               the try instead of holding the hour (node tasks get 10 minutes more, so that they
                               see the build's own timeout)
    SPARKIFY_STARTUP_ERROR     set by MWAA's startup.sh when it could not build dbt: the DAG import fails with it
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cosmos.constants import LoadMode

DAGS_DIR = Path(__file__).resolve().parents[1]
TARGETS = ("duckdb", "redshift")
EXECUTION_MODES = ("watcher", "local")
CONSUMER_WAITS = ("deferrable", "reschedule", "dags_test")
# Airflow's BaseSensorOperator: in reschedule mode the poke interval should be more than a minute (each look
# that finds nothing is a new task launch: scheduler, worker, DAG parse).
MIN_RESCHEDULE_POKE_SECONDS = 60
DAGS_TEST_POKE_SECONDS = 5
PASSED_TO_DBT = ("IAM_ROLE", "S3_REGION", "S3_ENDPOINT_URL", "LANDING_SCHEMA", "REDSHIFT_DEPLOYMENT")

# Settings that reach dbt, SQL, a path or an S3 call: the allow-lists of the dbt project's
# macros/sparkify_settings.sql (whole value, length limit, no '..' segment), checked here so that a bad
# value fails the DAG import naming the setting before the input check or any dbt task uses it.
_SEGMENTS = r"[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*"
_BUCKET = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
_SCHEMA = (r"[A-Za-z_][A-Za-z0-9_]{0,126}", 127, "a plain schema name (letters, digits, _)")
CHECKED: dict[str, tuple[str, int, str]] = {
    "DATA_ROOT": (
        rf"s3://{_BUCKET}(/{_SEGMENTS})?|/?{_SEGMENTS}",
        1024,
        "a local folder or s3://bucket[/prefix] made of letters, digits and _ . = - /",
    ),
    "IAM_ROLE": (
        r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}",
        1024,
        "an IAM role ARN such as arn:aws:iam::123456789012:role/sparkify-copy",
    ),
    "S3_REGION": (r"[a-z]{2}(-[a-z]+)+-[0-9]", 32, "an AWS region such as us-west-2"),
    "S3_ENDPOINT_URL": (
        r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?",
        1024,
        "an http(s)://host[:port] URL without credentials or path",
    ),
    "LANDING_SCHEMA": _SCHEMA,
    "REDSHIFT_SCHEMA": _SCHEMA,
    "REDSHIFT_DEPLOYMENT": (r"provisioned|serverless", 11, "provisioned or serverless"),
    "REDSHIFT_AUTH": (r"password|iam", 8, "password or iam"),
    # Templated into Jinja ({{ conn.<id>.host }}): a plain identifier only.
    "REDSHIFT_CONN_ID": (r"[A-Za-z_][A-Za-z0-9_]{0,249}", 250, "an Airflow connection id (letters, digits, _)"),
    "DUCKDB_PATH": (rf"/?{_SEGMENTS}", 1024, "a DuckDB file path made of letters, digits and _ . = - /"),
    "DOCS_BUCKET": (_BUCKET, 63, "an S3 bucket name"),
    "DOCS_PREFIX": (_SEGMENTS, 1024, "an S3 key prefix made of letters, digits and _ . = - /"),
}
# SPARKIFY_ON_WARNING: package.module:function, Python identifiers only (it is imported, never evaluated).
_HOOK = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*"


def _shown(value: str) -> str:
    """The value as an error message shows it: repr (escapes visible), cut after 200 characters."""
    return repr(value[:200]) + (f" (first 200 of {len(value)} characters)" if len(value) > 200 else "")


def _check(env: dict[str, str]) -> None:
    for name, (pattern, limit, expected) in CHECKED.items():
        value = env.get(name)
        if value is None:
            continue
        clean = value.strip("/") if name == "DOCS_PREFIX" else value.rstrip("/") if name == "DATA_ROOT" else value
        if len(clean) > limit or not re.fullmatch(pattern, clean) or ".." in clean.split("/"):
            raise ValueError(f"SPARKIFY_{name}={_shown(value)}: expected {expected}, at most {limit} characters")


def _minutes(env: dict[str, str], name: str, default: float) -> float:
    """A positive number of minutes (fractions allowed: tests wait seconds)."""
    value = env.get(name)
    if value is None:
        return default
    try:
        minutes = float(value)
    except ValueError:
        minutes = math.nan
    if not (math.isfinite(minutes) and minutes > 0):
        raise ValueError(f"SPARKIFY_{name}={_shown(value)}: expected a positive number of minutes, such as 5 or 0.5")
    return minutes


def _max_active_tasks(env: dict[str, str], target: str) -> int:
    value = env.get("MAX_ACTIVE_TASKS")
    if value is None:
        return 1 if target == "duckdb" else 2
    if not re.fullmatch(r"[1-9][0-9]?", value):
        raise ValueError(f"SPARKIFY_MAX_ACTIVE_TASKS={_shown(value)}: expected a whole number from 1 to 99")
    if target == "duckdb" and value != "1":
        raise ValueError(f"SPARKIFY_MAX_ACTIVE_TASKS={value}: the duckdb target allows one writer, so 1")
    return int(value)


def _consumer_wait(env: dict[str, str]) -> tuple[str, int]:
    """SPARKIFY_WATCHER_CONSUMERS and _CONSUMER_POKE_SECONDS: how the node tasks wait, and how often they look."""
    wait = env.get("WATCHER_CONSUMERS", "deferrable").lower()
    if wait not in CONSUMER_WAITS:
        raise ValueError(f"SPARKIFY_WATCHER_CONSUMERS={_shown(wait)}: expected deferrable, reschedule or dags_test")
    value = env.get("CONSUMER_POKE_SECONDS")
    if wait == "dags_test":
        if value is not None:
            raise ValueError(
                "SPARKIFY_CONSUMER_POKE_SECONDS: not a setting of SPARKIFY_WATCHER_CONSUMERS=dags_test (5 s)"
            )
        return wait, DAGS_TEST_POKE_SECONDS
    if value is None:
        return wait, 10 if wait == "deferrable" else MIN_RESCHEDULE_POKE_SECONDS
    if not re.fullmatch(r"[1-9][0-9]{0,3}", value):
        raise ValueError(
            f"SPARKIFY_CONSUMER_POKE_SECONDS={_shown(value)}: expected a whole number of seconds, 1 to 9999"
        )
    if wait == "reschedule" and int(value) < MIN_RESCHEDULE_POKE_SECONDS:
        raise ValueError(
            f"SPARKIFY_CONSUMER_POKE_SECONDS={value}: reschedule mode looks every {MIN_RESCHEDULE_POKE_SECONDS} s or"
            " more (each look is a new task launch); use SPARKIFY_WATCHER_CONSUMERS=deferrable to look more often"
        )
    return wait, int(value)


def _hook(env: dict[str, str]) -> str | None:
    """SPARKIFY_ON_WARNING: an importable package.module:function, imported only when tests warn."""
    value = env.get("ON_WARNING")
    if value is not None and (len(value) > 200 or not re.fullmatch(_HOOK, value)):
        raise ValueError(
            f"SPARKIFY_ON_WARNING={_shown(value)}: expected package.module:function (a Python callable),"
            " at most 200 characters"
        )
    return value


def _settings_env(env: dict[str, str]) -> dict[str, str]:
    """SPARKIFY_NAME values, completed by AIRFLOW__SPARKIFY__NAME ones (Airflow config options)."""
    found = {
        key.removeprefix("AIRFLOW__SPARKIFY__"): v for key, v in env.items() if key.startswith("AIRFLOW__SPARKIFY__")
    }
    found |= {key.removeprefix("SPARKIFY_"): v for key, v in env.items() if key.startswith("SPARKIFY_") and v}
    return {key.upper(): value.strip() for key, value in found.items() if value.strip()}


def _project_dir(env: dict[str, str]) -> Path:
    if env.get("DBT_PROJECT_DIR"):
        return Path(env["DBT_PROJECT_DIR"]).resolve()
    for candidate in (DAGS_DIR.parent, DAGS_DIR / "dbt" / "sparkify"):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise RuntimeError(f"No dbt project next to {DAGS_DIR}: set SPARKIFY_DBT_PROJECT_DIR")


@dataclass(frozen=True)
class Settings:
    target: str
    project_dir: Path
    manifest_path: Path
    load_mode: LoadMode
    dbt_executable: str | None
    data_root: str
    duckdb_path: Path
    redshift_conn_id: str
    redshift_schema: str
    redshift_deployment: str = "provisioned"
    redshift_auth: str = "password"
    docs_bucket: str | None = None
    docs_prefix: str = "sparkify-docs"
    docs_conn_id: str = "aws_default"
    input_timeout_minutes: float = 60.0
    input_poke_minutes: float = 5.0
    on_warning: str | None = None
    max_active_tasks: int = 1
    execution_mode: str = "watcher"
    watcher_consumers: str = "deferrable"
    consumer_poke_seconds: int = 10
    dbt_timeout_minutes: float = 40.0
    dbt_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = _settings_env(dict(os.environ if env is None else env))
        if env.get("STARTUP_ERROR"):
            raise RuntimeError(
                f"the MWAA startup script could not prepare dbt: {_shown(env['STARTUP_ERROR'])};"
                " its lines starting 'sparkify startup:' in the container's startup log say more"
            )
        _check(env)
        target = env.get("TARGET", "duckdb").lower()
        if target not in TARGETS:
            raise ValueError(f"SPARKIFY_TARGET={target!r}: expected one of {', '.join(TARGETS)}")
        project_dir = _project_dir(env)
        mode = env.get("COSMOS_LOAD_MODE") or ("dbt_manifest" if target == "redshift" else "automatic")
        if mode not in ("dbt_manifest", "dbt_ls", "automatic"):
            raise ValueError(f"SPARKIFY_COSMOS_LOAD_MODE={mode!r}: expected dbt_manifest, dbt_ls or automatic")
        execution_mode = env.get("EXECUTION_MODE", "watcher").lower()
        if execution_mode not in EXECUTION_MODES:
            raise ValueError(f"SPARKIFY_EXECUTION_MODE={_shown(execution_mode)}: expected watcher or local")
        if target == "redshift" and not env.get("DATA_ROOT", "").startswith("s3://"):
            got = _shown(env["DATA_ROOT"]) if env.get("DATA_ROOT") else "none (the default is the local sample folder)"
            raise ValueError(
                "SPARKIFY_TARGET=redshift needs SPARKIFY_DATA_ROOT=s3://bucket[/prefix]"
                f" (Redshift COPY reads only S3); got {got}"
            )
        watcher_consumers, consumer_poke_seconds = _consumer_wait(env)
        data_root = env.get("DATA_ROOT") or str(project_dir / "data" / "sparkify")
        if not data_root.startswith("s3://"):
            data_root = str((project_dir / data_root).resolve())  # dbt runs in a temporary copy
        duckdb_path = Path(env.get("DUCKDB_PATH") or project_dir / "sparkify.duckdb").resolve()
        dbt_env = {f"SPARKIFY_{key}": env[key] for key in PASSED_TO_DBT if env.get(key)}
        dbt_env |= {
            "SPARKIFY_DATA_ROOT": data_root,
            "SPARKIFY_DUCKDB_PATH": str(duckdb_path),
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        return cls(
            target=target,
            project_dir=project_dir,
            manifest_path=Path(env.get("DBT_MANIFEST") or project_dir / "target" / "manifest.json"),
            load_mode=LoadMode(mode),
            dbt_executable=env.get("DBT_EXECUTABLE") or None,
            data_root=data_root,
            duckdb_path=duckdb_path,
            redshift_conn_id=env.get("REDSHIFT_CONN_ID", "redshift_default"),
            redshift_deployment=env.get("REDSHIFT_DEPLOYMENT", "provisioned"),
            redshift_auth=env.get("REDSHIFT_AUTH", "password"),
            redshift_schema=env.get("REDSHIFT_SCHEMA", "sparkify"),
            docs_bucket=env.get("DOCS_BUCKET") or None,
            docs_prefix=env.get("DOCS_PREFIX", "sparkify-docs").strip("/"),
            docs_conn_id=env.get("DOCS_CONN_ID", "aws_default"),
            input_timeout_minutes=_minutes(env, "INPUT_TIMEOUT_MINUTES", 60.0),
            input_poke_minutes=_minutes(env, "INPUT_POKE_MINUTES", 5.0),
            on_warning=_hook(env),
            max_active_tasks=_max_active_tasks(env, target),
            execution_mode=execution_mode,
            watcher_consumers=watcher_consumers,
            consumer_poke_seconds=consumer_poke_seconds,
            dbt_timeout_minutes=_minutes(env, "DBT_TIMEOUT_MINUTES", 40.0),
            dbt_env=dbt_env,
        )


SETTINGS = Settings.from_env()
