"""Many dbt command lines at the price of a few: for tests that need one real dbt call per case.

A `dbt` process that fails at parse time takes about 2.7 s, most of it starting Python and importing
dbt. Here a worker process imports dbt once, then runs its calls one after the other through dbt's
own command-line entry point (`dbt.cli.main.cli`, what the `dbt` script runs), each with its own
arguments, its own environment (os.environ is replaced for the call), its own target and log paths
in its workdir (like conftest.run_dbt), its captured output and dbt's exit code. test_injection.py
checks that a call gives the same exit code and message here as in its own process (run_dbt).

    python dbt_batch.py CALLS.json RESULTS.json    # a worker: [{args, env, workdir}] -> [{returncode, output}]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import DbtResult


@dataclass(frozen=True)
class DbtCall:
    args: list[str]
    env: dict[str, str]
    workdir: str


def _worker(calls_path: str, results_path: str) -> None:
    from dbt.cli.main import cli

    results = []
    for call in json.loads(Path(calls_path).read_text()):
        os.environ.clear()
        os.environ.update(call["env"])
        workdir = Path(call["workdir"])
        args = [*call["args"], "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                cli.main(args=args, prog_name="dbt")
                code = 0
            except SystemExit as done:  # click's standalone mode: how the dbt script exits
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        results.append({"returncode": code, "output": output.getvalue()})
    Path(results_path).write_text(json.dumps(results))


def run_dbt_batch(calls: list[DbtCall], workers: int = 2) -> list[DbtResult]:
    """The result of each call, in order; the calls are shared out between `workers` processes."""
    from conftest import PROJECT_DIR, DbtResult

    shares = [calls[i::workers] for i in range(workers)]

    def run(share: list[DbtCall]) -> list[dict]:
        if not share:
            return []
        with tempfile.TemporaryDirectory(prefix="dbt_batch_") as tmp:
            calls_path, results_path = Path(tmp, "calls.json"), Path(tmp, "results.json")
            calls_path.write_text(json.dumps([asdict(call) for call in share]))
            done = subprocess.run(
                [sys.executable, __file__, str(calls_path), str(results_path)],
                cwd=PROJECT_DIR,
                env=share[0].env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if done.returncode != 0 or not results_path.exists():
                raise RuntimeError(f"dbt batch worker failed: {done.stdout[-3000:]}{done.stderr[-3000:]}")
            return json.loads(results_path.read_text())

    with ThreadPoolExecutor(max_workers=workers) as pool:
        shared_out = list(pool.map(run, shares))
    results: list[DbtResult | None] = [None] * len(calls)
    for worker, share_results in enumerate(shared_out):
        for position, result in enumerate(share_results):
            results[worker + position * workers] = DbtResult(result["returncode"], result["output"])
    assert None not in results
    return results  # type: ignore[return-value]


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
