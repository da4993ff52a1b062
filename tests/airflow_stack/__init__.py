"""A local Airflow stack run the way Amazon MWAA runs the DAG: scheduler, dag-processor, triggerer and
api-server as separate processes, LocalExecutor, the metadata database on a throwaway PostgreSQL 15.

    with start_stack(workdir, env) as stack:     # env: the caller's base environment + the DAG's SPARKIFY_*
        run_ids = stack.backfill("sparkify_hourly", "2018-11-15T14:00:00+00:00", "2018-11-15T14:00:00+00:00")
        runs = stack.wait_for_runs("sparkify_hourly", run_ids, timeout=600)
        stack.launch_counts("sparkify_hourly", run_ids[0])

Everything listens on 127.0.0.1 only, on free ports. Airflow's own log servers (the scheduler's and the
triggerer's serve-logs subprocesses) bind every interface with no setting to change it
(airflow/utils/serve_logs/core.py: uvicorn host=""), so both components run with --skip-serve-logs and the
stack runs the same log-server app itself on 127.0.0.1 (component "log-server"), on the one port set as
both the worker and the trigger log server port: both serve the same base_log_folder.
Secrets (PostgreSQL password, JWT secret, API secret key, fernet key) are generated per stack and passed in
the environment only; AIRFLOW_CONFIG is a file the stack writes without them, so Airflow never generates one
(it would write a generated jwt_secret into it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from redshift_harness import free_port, wait_for_port
from redshift_harness.cluster import Cluster, start_cluster

BIN = Path(sys.executable).parent
DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
DB_USER = DB_NAME = "airflow"
TERMINAL_RUN_STATES = {"success", "failed"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _command(component: str, api_port: int, log_port: int) -> list[str]:
    """The command line of one component."""
    commands = {
        "scheduler": ["airflow", "scheduler", "--skip-serve-logs"],
        "dag-processor": ["airflow", "dag-processor"],
        "triggerer": ["airflow", "triggerer", "--skip-serve-logs"],
        "api-server": ["airflow", "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1"],
        "log-server": [
            "python", "-m", "uvicorn", "airflow.utils.serve_logs.log_server:get_app",
            "--host", "127.0.0.1", "--port", str(log_port), "--no-access-log",
        ],
    }  # fmt: skip
    program, *args = commands[component]
    return [str(BIN / program), *args]


COMPONENTS = ("log-server", "api-server", "dag-processor", "scheduler", "triggerer")


def airflow_env(
    base: dict[str, str], home: Path, db_url: str, api_port: int, log_port: int, schedule: bool = False
) -> dict[str, str]:
    """base plus the stack's Airflow settings; the generated secrets are only ever in this dict. Without schedule
    the scheduler creates no scheduled runs (only backfills and triggered runs run)."""
    return {
        **base,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_CONFIG": str(home / "airflow.cfg"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__FERNET_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(schedule),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
        "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
    }


@dataclass
class Stack:
    """One running stack. Its processes each lead their own session; logs in workdir/logs/<component>.log."""

    workdir: Path
    env: dict[str, str]
    cluster: Cluster
    db_password: str = field(repr=False)
    api_port: int
    log_port: int
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    orphaned: list[int] = field(default_factory=list)  # sessions of components killed with kill_main

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- processes -------------------------------------------------------------------------------------------

    def start(self, component: str) -> None:
        """Starts (or restarts, after kill) one component in a session of its own."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{component}.log").open("a") as log:
            self.processes[component] = subprocess.Popen(
                _command(component, self.api_port, self.log_port),
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, component: str, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
        """Sends sig to every process of the component's session (LocalExecutor workers and tasks are in the
        scheduler's) and waits for them to be gone; SIGKILL after timeout."""
        process = self.processes[component]
        _signal_session(process.pid, sig)
        deadline = time.monotonic() + timeout
        while _session_pids(process.pid) or process.poll() is None:
            if time.monotonic() > deadline:
                _signal_session(process.pid, signal.SIGKILL)
            process.poll()
            time.sleep(0.1)

    def kill_main(self, component: str, sig: int = signal.SIGKILL) -> int:
        """Kills the component's own process only, as a crashed container would lose it: what it started (the
        scheduler's LocalExecutor workers and their tasks) keeps running, like MWAA's workers, which are not
        the scheduler's children. Returns how many metadata-database connections of the process were closed."""
        process = self.processes[component]
        ports = _client_ports(process.pid, self.cluster.port)
        os.kill(process.pid, sig)
        process.wait(timeout=30)
        self.orphaned.append(process.pid)  # its session: what it started, for stop() to end
        # Its metadata-database connections die with it, as a crashed container's would. Here they would not:
        # LocalExecutor forks its workers from the scheduler, so each worker holds the scheduler's sockets
        # (SQLAlchemy's dispose(close=False) in the child keeps them open), and a lock the scheduler held at
        # the kill (its dag_run row, SELECT ... FOR UPDATE SKIP LOCKED) would hide the run from the next
        # scheduler for ever.
        closed = self.sql(
            "select pg_terminate_backend(pid) from pg_stat_activity where client_port = any(%s::int[])", ports
        )
        return len(closed)

    def secrets(self) -> dict[str, str]:
        """The secrets generated for this stack, by what carries them."""
        names = ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET")
        return {**{name: self.env[name] for name in names}, "the metadata database's password": self.db_password}

    def pids(self) -> set[int]:
        """Every live process of the stack: its components' sessions and the PostgreSQL server."""
        sessions = {process.pid for process in self.processes.values()} | set(self.orphaned)
        postmaster = int((self.cluster.data_dir / "postmaster.pid").read_text().split()[0])
        sessions.add(os.getsid(postmaster))
        return {pid for pid, stat in _all_stats().items() if stat["sid"] in sessions}

    def stop(self) -> None:
        """Stops every process (SIGTERM, then SIGKILL) and removes PostgreSQL. Idempotent."""
        for component in reversed(COMPONENTS):
            if component in self.processes:
                self.kill(component, signal.SIGTERM)
                del self.processes[component]
        for session in self.orphaned:
            _signal_session(session, signal.SIGKILL)
        self.orphaned.clear()
        if self.cluster.root.exists():
            self.cluster.stop()

    def task_pids(self, dag_id: str, run_id: str, task_id: str) -> dict[str, int | list[int]]:
        """The OS processes of a running task: "task" is task_instance.pid (the process the task SDK forks for
        the task's code, its own process group), "supervisor" its parent (a LocalExecutor worker, child of the
        scheduler), "children" what the task started (a dbt subprocess, …). SIGKILL "task" to kill it mid-run."""
        rows = self.sql(
            "select pid, state from task_instance where dag_id = %s and run_id = %s and task_id = %s",
            dag_id, run_id, task_id,
        )  # fmt: skip
        if not rows or rows[0][0] is None or rows[0][1] != "running":
            raise LookupError(f"{task_id} of {run_id} is not running: {rows}")
        pid = rows[0][0]
        return {"task": pid, "supervisor": _stat(pid)["ppid"], "children": _descendants(pid)}

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) per component: every live process of its session plus the children they
        reaped (cutime/cstime). Read before stop()."""
        return {
            component: sum(_cpu(pid) for pid in _session_pids(process.pid))
            for component, process in self.processes.items()
        }

    # -- Airflow -----------------------------------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Runs the airflow CLI with the stack's environment."""
        return subprocess.run(
            [str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def sql(self, query: str, *params) -> list[tuple]:
        """Rows of a query against the metadata database."""
        with (
            psycopg2.connect(
                host="127.0.0.1", port=self.cluster.port, user=DB_USER, password=self.db_password, dbname=DB_NAME
            ) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def backfill(self, dag_id: str, from_date: str, to_date: str, reprocess: str = "completed") -> list[str]:
        """Creates a backfill through the api-server (as the UI's Backfill dialog and `airflow backfill create`
        do) and returns its run ids, oldest first.

        A run is created for every logical date of the timetable in [from_date, to_date], both inclusive, whose
        data interval has ended. With CronDataIntervalTimetable("0 * * * *") the logical date is the START of
        the hour loaded: from 14:00 to 15:00 gives two runs, 14:00-15:00 and 15:00-16:00. To load only the hour
        2018-11-15 14:00-15:00 UTC pass from_date = to_date = "2018-11-15T14:00:00+00:00". reprocess: what to do
        with logical dates that already have a run ("none", "failed" or "completed": run them again).
        catchup=False does not limit backfills. The run id is backfill__<run_after>, run_after being the END
        of the interval (backfill__2018-11-15T15:00:00+00:00 loads 14:00-15:00).

        Airflow 3.3.1 leaves a paused DAG's backfill runs queued for ever, so this unpauses the DAG (the stack's
        scheduler makes no scheduled runs unless started with schedule=True: unpausing would start the current
        hour's). A backfill's own max_active_runs defaults to 10, not the DAG's: this asks for 1. Airflow runs
        one backfill of a DAG at a time, so this first waits for the one before to be marked completed.
        """
        self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        self.wait_for_backfills(dag_id)
        created = self.api(
            "POST",
            "/api/v2/backfills",
            {"dag_id": dag_id, "from_date": from_date, "to_date": to_date, "max_active_runs": 1,
             "reprocess_behavior": reprocess},
        )  # fmt: skip
        rows = self.sql(
            "select run_id from dag_run where backfill_id = %s and dag_id = %s order by logical_date",
            created["id"], dag_id,
        )  # fmt: skip
        return [run_id for (run_id,) in rows]

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        """A call to the api-server's REST API (no login: SimpleAuthManager with every user an admin, on 127.0.0.1)."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise RuntimeError(
                f"{method} {path}: {error.code} {error.read().decode(errors='replace')[:2000]}"
            ) from None

    def wait_for_backfills(self, dag_id: str, timeout: float = 120) -> None:
        """Until no backfill of dag_id is open: the scheduler marks one completed a moment after its last run ends."""
        deadline = time.monotonic() + timeout
        while self.sql("select 1 from backfill where dag_id = %s and completed_at is null", dag_id):
            if time.monotonic() > deadline:
                raise TimeoutError(f"a backfill of {dag_id} is still open after {timeout}s")
            self.check_alive()
            time.sleep(0.5)

    def wait_for_runs(self, dag_id: str, run_ids: list[str], timeout: float = 900) -> dict[str, dict]:
        """Waits until every run is success or failed; per run: its state, data interval, start/end dates and, per
        task, state and try_number."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.runs(dag_id, run_ids)
            if all(runs.get(run_id, {}).get("state") in TERMINAL_RUN_STATES for run_id in run_ids):
                return runs
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs not finished after {timeout}s: {json.dumps(runs, default=str)[:3000]}")
            self.check_alive()
            time.sleep(1)

    def runs(self, dag_id: str, run_ids: list[str]) -> dict[str, dict]:
        """The runs' current state (see wait_for_runs)."""
        runs = {
            run_id: {
                "state": state, "data_interval_start": start, "data_interval_end": end,
                "start_date": started, "end_date": ended, "tasks": {},
            }
            for run_id, state, start, end, started, ended in self.sql(
                "select run_id, state, data_interval_start, data_interval_end, start_date, end_date from dag_run"
                " where dag_id = %s and run_id = any(%s)", dag_id, list(run_ids),
            )
        }  # fmt: skip
        for run_id, task_id, state, try_number in self.sql(
            "select run_id, task_id, state, try_number from task_instance where dag_id = %s and run_id = any(%s)",
            dag_id, list(run_ids),
        ):  # fmt: skip
            runs[run_id]["tasks"][task_id] = {"state": state, "try_number": try_number}
        return runs

    def launch_counts(self, dag_id: str, run_id: str) -> dict[str, int]:
        """How many times each task of the run was started on a worker. The execution API writes a `log` row with
        event "running" each time a worker's task process moves the task instance from queued to running
        (ti_run, airflow/api_fastapi/execution_api/routes/task_instances.py): once per try, per reschedule-mode
        poke and per resume after a deferral, since each of them is a new worker launch. Launches that died
        before reaching the API (no task code ran) are not counted; tasks the scheduler finishes itself
        (EmptyOperator) count 0."""
        tasks = self.sql("select task_id from task_instance where dag_id = %s and run_id = %s", dag_id, run_id)
        rows = self.sql(
            "select task_id, count(*) from log where dag_id = %s and run_id = %s and event = 'running'"
            " group by task_id", dag_id, run_id,
        )  # fmt: skip
        return {task_id: 0 for (task_id,) in tasks} | dict(rows)

    def launch_breakdown(self, dag_id: str, run_id: str) -> dict[str, dict[str, int]]:
        """Per task, where its launches show elsewhere in the database, to cross-check launch_counts: tries
        (task_instance.try_number; task_instance_history keeps one row per earlier try), reschedules
        (task_reschedule rows), deferrals (`log` rows with event "deferred")."""
        counts: dict[str, dict[str, int]] = {}
        queries = {
            "tries": "select task_id, max(try_number) from task_instance where dag_id = %s and run_id = %s"
            " and state is not null and try_number > 0 group by task_id",
            "history": "select task_id, count(*) from task_instance_history where dag_id = %s and run_id = %s"
            " group by task_id",
            "reschedules": "select ti.task_id, count(*) from task_reschedule r join task_instance ti on ti.id ="
            " r.ti_id where ti.dag_id = %s and ti.run_id = %s group by ti.task_id",
            "deferrals": "select task_id, count(*) from log where dag_id = %s and run_id = %s and event = 'deferred'"
            " group by task_id",
        }
        for name, query in queries.items():
            for task_id, count in self.sql(query, dag_id, run_id):
                counts.setdefault(task_id, {})[name] = count
        return counts

    # -- readiness ---------------------------------------------------------------------------------------------

    def check_alive(self) -> None:
        for component, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{component} exited ({process.returncode}); see {self.logs / component}.log")

    def health(self) -> dict:
        """The api-server's /api/v2/monitor/health answer ({} while it does not answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as response:
                return json.load(response)
        except OSError:
            return {}

    def wait_healthy(self, timeout: float = 180) -> None:
        """Until the metadatabase, scheduler, triggerer and dag_processor are all healthy."""
        deadline = time.monotonic() + timeout
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        while True:
            health = self.health()
            if all(health.get(part, {}).get("status") == "healthy" for part in parts):
                return
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"stack not healthy after {timeout}s: {health}")
            time.sleep(1)

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until dag_id is parsed into the database; raises with the import errors if there are any."""
        deadline = time.monotonic() + timeout
        while True:
            errors = self.sql("select filename, stacktrace from import_error")
            if errors:
                raise RuntimeError("DAG import errors:\n" + "\n".join(f"{f}:\n{trace}" for f, trace in errors))
            if self.sql("select 1 from serialized_dag where dag_id = %s", dag_id):
                return
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} not parsed after {timeout}s; see {self.logs}/dag-processor.log")
            time.sleep(1)


def start_stack(workdir: Path, env: dict[str, str], dag_id: str = "sparkify_hourly", schedule: bool = False) -> Stack:
    """Starts a stack in workdir (its AIRFLOW_HOME is workdir/home) with env as the base environment: PATH, the
    DAG's SPARKIFY_* settings. Returns once all components are healthy and dag_id is parsed. schedule: let the
    scheduler create scheduled runs of unpaused DAGs (off: only backfills and triggered runs)."""
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "airflow.cfg").write_text("# Settings come from AIRFLOW__* environment variables (tests/airflow_stack).\n")
    password = secrets.token_urlsafe(24)
    cluster = start_cluster(free_port())
    api_port, log_port = free_port(), free_port()
    db_url = f"postgresql+psycopg2://{DB_USER}:{password}@127.0.0.1:{cluster.port}/{DB_NAME}"
    stack = Stack(
        workdir, airflow_env(env, home, db_url, api_port, log_port, schedule), cluster, password, api_port, log_port
    )
    try:
        cluster.psql(f"create role {DB_USER} login password '{password}';\ncreate database {DB_NAME} owner {DB_USER};")
        migrated = stack.airflow("db", "migrate")
        (stack.logs).mkdir(parents=True, exist_ok=True)
        (stack.logs / "db-migrate.log").write_text(migrated.stdout + migrated.stderr)
        if migrated.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed; see {stack.logs / 'db-migrate.log'}")
        for component in COMPONENTS:
            stack.start(component)
        wait_for_port(log_port, stack.processes["log-server"], "log-server")
        stack.wait_healthy()
        stack.wait_for_dag(dag_id)
    except BaseException:
        stack.stop()
        raise
    return stack


# -- /proc ------------------------------------------------------------------------------------------------------


def _stat(pid: int) -> dict[str, int]:
    """ppid, session and CPU clock ticks of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state) of proc(5)
    ppid, sid, utime, stime, cutime, cstime = (int(fields[i]) for i in (1, 3, 11, 12, 13, 14))
    return {"ppid": ppid, "sid": sid, "ticks": utime + stime + cutime + cstime}


def _all_stats() -> dict[int, dict[str, int]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                stats[int(entry)] = _stat(int(entry))
    return stats


def _client_ports(pid: int, server_port: int) -> list[int]:
    """The local ports of pid's TCP connections to 127.0.0.1:server_port (from /proc/<pid>/fd and /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if (target := os.readlink(fd)).startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if inode in inodes and int(remote.split(":")[1], 16) == server_port:
            ports.append(int(local.split(":")[1], 16))
    return ports


def _session_pids(sid: int) -> list[int]:
    """Live (not zombie-reaped) processes of session sid."""
    return [pid for pid, stat in _all_stats().items() if stat["sid"] == sid]


def _descendants(pid: int) -> list[int]:
    stats = _all_stats()
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, stat in stats.items() if stat["ppid"] in frontier]
        found += children
        frontier = children
    return found


def _cpu(pid: int) -> float:
    try:
        return _stat(pid)["ticks"] / CLK_TCK
    except FileNotFoundError:
        return 0.0


def _signal_session(sid: int, sig: int) -> None:
    """Signals every process group of session sid (task processes make groups of their own)."""
    groups = {os.getpgid(pid) for pid in _session_pids(sid) if _exists(pid)}
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, sig)


def _exists(pid: int) -> bool:
    try:
        os.getpgid(pid)
        return True
    except ProcessLookupError:
        return False
