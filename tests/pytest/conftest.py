"""Fixtures that drive the real dbt CLI on temporary DuckDB files."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

pytest_plugins = ["session_scan", "xdist_plan"]

PROJECT_DIR = Path(__file__).resolve().parents[2]
SAMPLE_ROOT = PROJECT_DIR / "data" / "sparkify"
DBT = Path(sys.executable).with_name("dbt")

STAR_TABLES = {
    "fct_songplays": "songplay_id",
    "dim_users": "user_id",
    "dim_songs": "song_id",
    "dim_artists": "artist_id",
    "dim_time": "start_time",
}
# Every table a run writes; the load timestamps are left out of comparisons.
ALL_TABLES = ["staging_events", "staging_songs", *STAR_TABLES]
# What the hourly DAG builds: everything but MetricFlow's own tables (tag:semantic, built by the docs DAG) and the
# unit tests (its layers build models only, quality_checks excludes test_type:unit). The window runs and the tests
# of loading, rejections and convergence build this, as the DAG does, and compare the tables above; test_report
# and test_full_build cover the semantic tables and the unit tests (dbt build, as `make build` runs it).
HOURLY_SELECTION = ("--exclude", "tag:semantic", "test_type:unit")
LOAD_TIME_COLUMNS = {"_loaded_at", "loaded_at"}


@dataclass
class DbtResult:
    returncode: int
    output: str


# Every credential-named value the suite hands to what it runs through base_env (REDSHIFT_PASSWORD,
# AWS_SECRET_ACCESS_KEY, ..., also from the calling environment): test_secrets.py checks, last in the
# session, that none of them was written to a log or an artifact.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY", re.IGNORECASE)
SESSION_SECRETS: dict[str, str] = {}  # value -> the env var it was passed as


def watch_secrets(secrets: dict[str, str]) -> None:
    """Secrets the session's secret scan looks for (what they are -> value): every secret-named variable base_env
    hands out, and those the suite did not hand out through it, such as a local Airflow stack's generated ones."""
    for name, value in secrets.items():
        if value:
            SESSION_SECRETS.setdefault(value, name)


def base_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPARKIFY_", "DBT_", "REDSHIFT_", "AIRFLOW"))
    }
    env.update(
        PATH=f"{DBT.parent}{os.pathsep}{env.get('PATH', '')}",  # as with an activated virtualenv
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_USE_COLORS="false",
    )
    env.update(extra)
    watch_secrets({key: value for key, value in env.items() if SECRET_NAME.search(key)})
    return env


def run_dbt(
    args: list[str], workdir: Path, env: dict[str, str] | None = None, program: list[str] | None = None
) -> DbtResult:
    """Runs a dbt command line from the project directory with its target and logs kept in workdir, in this test
    process's dbt worker (dbt_batch.py: dbt's own entry point in a process that imported dbt once, its exit code
    and output); program (a stand-in for the dbt script) and `dbt debug` run as processes of their own."""
    if program or args[:1] == ["debug"]:
        return run_dbt_process(args, workdir, env, program)
    from dbt_batch import DbtCall

    return shared_dbt_worker().run(DbtCall(args, env or base_env(), str(workdir)))


_SHARED_WORKER: dict[str, object] = {}  # "worker": this test process's DbtWorker, "log_dir": where it logs


def shared_dbt_worker():
    """This test process's DbtWorker, started on first use (again if the last one died: a timed-out call)."""
    from dbt_batch import DbtWorker

    worker = _SHARED_WORKER.get("worker")
    if worker is None or worker.process.poll() is not None:
        log_dir = _SHARED_WORKER.get("log_dir") or Path(os.environ.get("TMPDIR", "/tmp")) / "sparkify_dbt_worker"
        worker = _SHARED_WORKER["worker"] = DbtWorker(base_env(), log_dir=Path(log_dir))
    return worker


@pytest.fixture(scope="session", autouse=True)
def _shared_dbt_worker_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The shared worker logs into the session's temporary folder (the session's secret scan reads it), and
    stops with the session."""
    _SHARED_WORKER["log_dir"] = tmp_path_factory.mktemp("shared_dbt_worker")
    yield
    worker = _SHARED_WORKER.pop("worker", None)
    if worker is not None:
        worker.close()


def run_dbt_process(
    args: list[str], workdir: Path, env: dict[str, str] | None = None, program: list[str] | None = None
) -> DbtResult:
    """Runs the dbt script (or program, a stand-in for it) as a process of its own, from the project directory,
    with its target and logs kept in workdir."""
    target_path = [] if args[:1] == ["debug"] else ["--target-path", str(workdir / "target")]  # debug has none
    command = [*(program or [str(DBT)]), *args, *target_path, "--log-path", str(workdir / "logs")]
    done = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=env or base_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return DbtResult(done.returncode, done.stdout + done.stderr)


# How a Warehouse runs a dbt command line: (args, workdir, env) -> result. run_dbt hands it to the test
# process's shared DbtWorker; run_dbt_process starts the dbt script.
DbtRunner = Callable[[list[str], Path, dict[str, str]], DbtResult]


# The run window's vars and the env vars the DAG passes it by (dags/sparkify_pipeline: dbt drops its whole partial
# parse when --vars change, and re-parses only what reads an env var when that changes). Warehouse.dbt passes a
# window the DAG's way unless a test asks for --vars: measured on the sample, 1.4 CPU-s per window build by env
# after another hour, 2.5 by --vars (a full re-parse each time).
WINDOW_ENV = {"data_interval_start": "SPARKIFY_DATA_INTERVAL_START", "data_interval_end": "SPARKIFY_DATA_INTERVAL_END"}


def window_by_env(vars: dict | None) -> tuple[dict | None, dict[str, str]]:
    """(vars without the window, the window as the DAG's env vars)."""
    if not vars:
        return vars, {}
    env = {WINDOW_ENV[name]: str(value) for name, value in vars.items() if name in WINDOW_ENV}
    return {name: value for name, value in vars.items() if name not in WINDOW_ENV}, env


class Warehouse:
    """One DuckDB file and the dbt invocations that build it."""

    def __init__(self, workdir: Path, runner: DbtRunner = run_dbt) -> None:
        self.workdir = workdir
        self.path = workdir / "sparkify.duckdb"
        self.runner = runner

    def dbt(self, *args: str, vars: dict | None = None, window_as_vars: bool = False, **env: str) -> DbtResult:
        """A dbt command line on this warehouse; a window in vars goes by env as the DAG passes it, or as --vars
        (window_as_vars: a user's command line)."""
        if not window_as_vars:
            vars, window = window_by_env(vars)
            env = {**window, **env}
        command = list(args)
        if vars:
            command += ["--vars", json.dumps(vars)]
        return self.runner(command, self.workdir, base_env(SPARKIFY_DUCKDB_PATH=str(self.path), **env))

    def build(self, *args: str, vars: dict | None = None, window_as_vars: bool = False, **env: str) -> DbtResult:
        """dbt build with args (e.g. HOURLY_SELECTION for a window run, as the hourly DAG builds); must succeed."""
        result = self.dbt("build", *args, vars=vars, window_as_vars=window_as_vars, **env)
        assert result.returncode == 0, result.output[-4000:]
        return result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def table(self, name: str) -> list[tuple]:
        """All rows of a table, sorted, without the load-time columns."""
        with duckdb.connect(str(self.path), read_only=True) as con:
            columns = [row[0] for row in con.execute(f"describe {name}").fetchall()]
            kept = ", ".join(c for c in columns if c not in LOAD_TIME_COLUMNS)
            return sorted(con.execute(f"select {kept} from {name}").fetchall(), key=repr)

    def snapshot(self) -> dict[str, list[tuple]]:
        return {name: self.table(name) for name in ALL_TABLES}

    def copy_to(self, workdir: Path) -> Warehouse:
        workdir.mkdir(parents=True, exist_ok=True)
        other = Warehouse(workdir, self.runner)
        shutil.copy(self.path, other.path)
        return other


@pytest.fixture(scope="session")
def dbt_worker() -> DbtRunner:
    """The test process's dbt worker (run_dbt), for tests that want it said."""
    return run_dbt


@pytest.fixture
def new_warehouse(tmp_path: Path, dbt_worker: DbtRunner) -> Callable[[str], Warehouse]:
    """A new warehouse (workdir) per call; its dbt calls go to the test process's dbt worker."""

    def make(name: str = "wh") -> Warehouse:
        workdir = tmp_path / name
        workdir.mkdir()
        return Warehouse(workdir, dbt_worker)

    return make


@pytest.fixture(scope="session")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The README's main job (dbt build, full mode) on the bundled sample, once per test process. It runs
    the dbt script itself, as a user would (later calls on it go to a dbt worker only where a test says)."""
    warehouse = Warehouse(tmp_path_factory.mktemp("full_build"), run_dbt_process)
    warehouse.build()
    # Later dbt calls in this workdir overwrite target/; keep this build's own artifacts.
    for name in ("run_results.json", "manifest.json"):
        shutil.copy(warehouse.workdir / "target" / name, warehouse.workdir / f"build_{name}")
    return warehouse


def redshift_parse_error(sql: str) -> str | None:
    """Why sqlfluff's redshift dialect cannot parse sql, or None. Raw templater: the repo's .sqlfluff
    (dbt templater, for models) must not apply to rendered SQL."""
    import sqlfluff
    from sqlfluff.api.simple import APIParsingError
    from sqlfluff.core import FluffConfig

    config = FluffConfig(overrides={"dialect": "redshift", "templater": "raw"}, require_dialect=False)
    try:
        sqlfluff.parse(sql, config=config)
    except APIParsingError as error:
        return str(error)
    return None


CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-west-2",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str):
    """A boto3 S3 client on the moto_server endpoint."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def create_bucket(s3_client, name: str) -> str:
    s3_client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return name


def upload_tree(s3_client, root: Path, bucket: str) -> None:
    """Puts every data file under root into the bucket, keyed by its path relative to root."""
    for path in sorted(root.rglob("*.json")):
        s3_client.upload_file(str(path), bucket, path.relative_to(root).as_posix())


# ---------------------------------------------------------------------------------------------
# The Redshift target on the PostgreSQL-backed harness (tests/redshift_harness).

HARNESS_BUCKET = "sparkify-harness"
HARNESS_IAM_ROLE = "arn:aws:iam::123456789012:role/sparkify-harness-copy"


@pytest.fixture(scope="session")
def redshift_harness(tmp_path_factory, s3_endpoint: str, s3_client):
    """PostgreSQL 15 behind the Redshift wire proxy; the bundled sample in s3://sparkify-harness."""
    from redshift_harness import start_harness

    create_bucket(s3_client, HARNESS_BUCKET)
    upload_tree(s3_client, SAMPLE_ROOT, HARNESS_BUCKET)
    harness = start_harness(tmp_path_factory.mktemp("redshift_harness"), s3_endpoint, CREDENTIALS)
    yield harness
    harness.stop()


@pytest.fixture(scope="session")
def redshift_serverless_harness(tmp_path_factory, s3_endpoint: str, s3_client, redshift_harness):
    """The harness in Serverless mode (STL refused, SYS views kept), on the same bucket and sample."""
    from redshift_harness import start_harness

    harness = start_harness(tmp_path_factory.mktemp("redshift_serverless"), s3_endpoint, CREDENTIALS, serverless=True)
    yield harness
    harness.stop()


class RedshiftWarehouse(Warehouse):
    """One schema on the harness, built by dbt-redshift (--target redshift) like production."""

    def __init__(
        self,
        workdir: Path,
        harness,
        schema: str,
        data_root: str = f"s3://{HARNESS_BUCKET}",
        runner: DbtRunner = run_dbt,
        target: str = "redshift",
        settings: dict[str, str] | None = None,
    ) -> None:
        super().__init__(workdir, runner)
        self.harness = harness
        self.schema = schema
        self.data_root = data_root
        self.target = target
        self.settings = settings or harness.env(schema)  # the target's REDSHIFT_* and the like

    def dbt(self, *args: str, vars: dict | None = None, window_as_vars: bool = False, **env: str) -> DbtResult:
        if not window_as_vars:
            vars, window = window_by_env(vars)
            env = {**window, **env}
        command = [*args, "--target", self.target]
        if vars:
            command += ["--vars", json.dumps(vars)]
        settings = {
            **self.settings,
            "SPARKIFY_DATA_ROOT": self.data_root,
            "SPARKIFY_IAM_ROLE": HARNESS_IAM_ROLE,
            **env,
        }
        return self.runner(command, self.workdir, base_env(**settings))

    def query(self, sql: str) -> list[tuple]:
        return self.harness.query(sql, schema=self.schema)

    def table(self, name: str) -> list[tuple]:
        columns = [
            row[0]
            for row in self.harness.query(
                "select column_name from information_schema.columns"
                f" where table_schema = '{self.schema}' and table_name = '{name}' order by ordinal_position"
            )
        ]
        kept = ", ".join(c for c in columns if c not in LOAD_TIME_COLUMNS)
        return sorted(self.query(f"select {kept} from {name}"), key=repr)

    def copy_to(self, workdir: Path) -> Warehouse:
        raise NotImplementedError("copy a harness schema with dbt instead")


@pytest.fixture
def new_redshift_warehouse(tmp_path: Path, redshift_harness, dbt_worker: DbtRunner):
    """A fresh schema on the harness per call (named after the test); dbt calls go to the dbt worker."""
    made = []

    def make(name: str = "wh") -> RedshiftWarehouse:
        workdir = tmp_path / name
        workdir.mkdir()
        schema = f"t{abs(hash(str(workdir))) % 10**8}_{name}"
        made.append(schema)
        return RedshiftWarehouse(workdir, redshift_harness, schema, runner=dbt_worker)

    return make


CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Selenium (Debian's chromium and chromium-driver; .ci/run installs them)."""
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are required in CI (.ci/run installs them)")
        pytest.skip("install Debian chromium + chromium-driver to run the browser test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    # Console messages and network events, for tests that read them (get_log("browser" | "performance")).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
