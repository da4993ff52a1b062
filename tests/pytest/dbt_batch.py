"""dbt command lines without paying for a new Python process each time.

A `dbt` process spends about 2.7 s starting Python and importing dbt before it reads the project. A
DbtWorker is one Python process that imported dbt once and then runs command lines on request, one
after the other, through dbt's own command-line entry point (`dbt.cli.main.cli`, what the `dbt` script
runs). Each call has its own arguments, its own environment (os.environ is replaced for the call), its
target and log paths in its workdir (like conftest.run_dbt), its captured output and dbt's exit code.
Cosmos runs dbt in-process the same way (InvocationMode.DBT_RUNNER).
One thing differs from the `dbt` script: the end-of-run rewrite of target/manifest.json is left out
(_skip_the_second_manifest_write: the file written after parsing stays).

Calls that repeat the same vars, profile and target path keep dbt's partial parse between them, as
separate `dbt` processes do; test_bad_input.py uses that. test_injection.py checks that a call gives the
same exit code and message here as in its own process (conftest.run_dbt).

    python dbt_batch.py serve    # a worker: one JSON call per stdin line -> one JSON result per line
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import DbtResult


@dataclass(frozen=True)
class DbtCall:
    args: list[str]
    env: dict[str, str]
    workdir: str


def _run_call(call: dict, project_dir: str) -> dict:
    from dbt.cli.main import cli

    os.environ.clear()
    os.environ.update(call["env"])
    os.chdir(project_dir)
    workdir = Path(call["workdir"])
    args = [*call["args"], "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            cli.main(args=args, prog_name="dbt")
            code = 0
        except SystemExit as done:  # click's standalone mode: how the dbt script exits
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            _release_databases()
    return {"returncode": code, "output": output.getvalue()}


def _release_databases() -> None:
    """What the end of a dbt process does for its databases. dbt-duckdb keeps its DuckDB database open
    in a class attribute after a command (its handle count is back to 0, the connection is not closed),
    which would hold the file's lock against the test that reads it, and against the next case."""
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    with contextlib.suppress(ImportError):
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager.close_all_connections()


def _name_redshift_connections() -> None:
    """Each new redshift_connector connection that is given no application name (dbt-redshift gives none) finds
    one by walking the whole call stack with inspect.stack(), which looks up every frame's source file and module:
    measured, a fifth of this process's CPU in a build on the Redshift harness, where dbt opens a connection per
    node. Here every connection is named "sparkify-tests" instead; nothing else about it changes."""
    import redshift_connector.core

    connect = redshift_connector.core.Connection.__init__

    def named(self, *args, **kwargs) -> None:
        kwargs["application_name"] = kwargs.get("application_name") or "sparkify-tests"
        connect(self, *args, **kwargs)

    redshift_connector.core.Connection.__init__ = named


def _skip_the_second_manifest_write() -> None:
    """A dbt command writes target/manifest.json (and semantic_manifest.json) twice: after parsing, and again at the
    end of the run, the second time with the compiled SQL of the nodes it ran. Here the second write is left out:
    measured on the sample, 0.5 of 3.3 CPU-s per window `dbt build` with its data tests, 0.25 of 1.7 without. The
    file after parsing stays (a DAG under test reads its nodes); the compiled SQL stays in target/compiled/ and
    target/run/, and run_results.json is written as before. The `dbt` script (conftest.run_dbt_process) keeps both."""
    import dbt.task.runnable

    dbt.task.runnable.write_manifest = lambda *args, **kwargs: None


def _serve() -> None:
    """Answers each call line on stdin with a result line on the original stdout. Anything else that
    writes to file descriptor 1 (a library, a child process) goes to stderr instead."""
    answers: IO[str] = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    project_dir = os.getcwd()
    import dbt.cli.main  # noqa: F401  (the import is what a worker pays for once)
    from dbt_common.tests import enable_test_caching

    # dbt's own in-process test fixture (dbt.tests.fixtures.project) turns this on: Jinja parses of macro and
    # file sources are cached by their text, so a call whose vars force a full reparse (test_injection.py's
    # cases) does not parse dbt's ~500 built-in macros again. The cache keys are the sources themselves.
    enable_test_caching()
    _name_redshift_connections()
    _skip_the_second_manifest_write()

    for line in sys.stdin:
        answers.write(json.dumps(_run_call(json.loads(line), project_dir)) + "\n")
        answers.flush()


class DbtWorker:
    """One dbt process that runs calls on request (see the module docstring)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        from conftest import PROJECT_DIR

        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"dbt_worker_{os.getpid()}_{id(self)}.log"
        self._log = self.log_path.open("w")
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve"],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    def run(self, call: DbtCall, timeout: float = 900) -> DbtResult:
        from conftest import DbtResult

        assert self.process.stdin
        assert self.process.stdout
        with self._lock:  # one call at a time, whichever thread asks
            self.process.stdin.write(json.dumps(asdict(call)) + "\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            answer = self.process.stdout.readline() if ready else ""
        if not answer:
            self.close()
            raise RuntimeError(
                f"dbt worker gave no result for {call.args} within {timeout} s; its log:\n"
                + self.log_path.read_text()[-3000:]
            )
        result = json.loads(answer)
        return DbtResult(result["returncode"], result["output"])

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def run_dbt_batch(calls: list[DbtCall], workers: int | None = None) -> list[DbtResult]:
    """The result of each call, in order; the calls are shared out between `workers` processes (default:
    both cores, or one when pytest-xdist already runs a test process per core)."""
    workers = workers or (1 if os.environ.get("PYTEST_XDIST_WORKER") else 2)
    shares = [calls[i::workers] for i in range(workers)]

    def run(share: list[DbtCall]) -> list[DbtResult]:
        if not share:
            return []
        worker = DbtWorker(share[0].env, log_dir=Path(share[0].workdir).parent)
        try:
            return [worker.run(call) for call in share]
        finally:
            worker.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        shared_out = list(pool.map(run, shares))
    results: list[DbtResult | None] = [None] * len(calls)
    for worker, share_results in enumerate(shared_out):
        for position, result in enumerate(share_results):
            results[worker + position * workers] = result
    assert None not in results
    return results  # type: ignore[return-value]


if __name__ == "__main__":
    _serve()
