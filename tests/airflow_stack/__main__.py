"""Runs a local Airflow stack until Ctrl-C or SIGTERM:

    PYTHONPATH=tests python -m airflow_stack up [--workdir DIR] [--dags-env KEY=VALUE ...] [--backfill FROM [TO]]

--dags-env settings (SPARKIFY_DBT_MANIFEST, SPARKIFY_DUCKDB_PATH, …) go to every component on top of this
process's environment, as does anything already exported. Prints the UI's URL and the logs folder.
--backfill runs the hours FROM to TO (logical dates: the start of each hour; TO defaults to FROM) through
the scheduler once the stack is up, and prints each run's outcome (the UI shows them live).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
from pathlib import Path

from airflow_stack import start_stack


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m airflow_stack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the stack and keep it running until Ctrl-C / SIGTERM")
    up.add_argument("--workdir", type=Path, help="AIRFLOW_HOME and logs go here (default: a new temporary folder)")
    up.add_argument("--dags-env", action="append", default=[], metavar="KEY=VALUE", help="a setting for the DAG")
    up.add_argument("--backfill", nargs="+", metavar="HOUR", help="logical dates FROM [TO] to run, hour starts")
    return parser.parse_args()


def dags_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--dags-env wants KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def backfill(stack, hours: list[str]) -> None:
    """Runs the hours through the scheduler and prints each run's state and data interval."""
    run_ids = stack.backfill("sparkify_hourly", hours[0], hours[-1])
    print(f"Backfill of {len(run_ids)} hourly runs: follow them at {stack.url}/dags/sparkify_hourly", flush=True)
    for run_id, run in stack.wait_for_runs("sparkify_hourly", run_ids, timeout=24 * 3600).items():
        print(f"{run_id}: {run['state']} ({run['data_interval_start']} to {run['data_interval_end']})", flush=True)


def up(workdir: Path | None, extra: dict[str, str], hours: list[str] | None = None) -> None:
    workdir = (workdir or Path(tempfile.mkdtemp(prefix="airflow-stack-"))).resolve()
    for stop in (signal.SIGINT, signal.SIGTERM):  # both stop the stack (even where SIGINT came ignored)
        signal.signal(stop, signal.default_int_handler)
    base = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    print(f"Starting the Airflow stack in {workdir} (logs: {workdir / 'logs'}) …", flush=True)
    with start_stack(workdir, {**base, **extra}) as stack:
        print(f"Airflow UI: {stack.url}\nLogs: {stack.logs}\nCtrl-C to stop.", flush=True)
        try:
            if hours:
                backfill(stack, hours)
            signal.pause()
        except KeyboardInterrupt:
            print("Stopping …", flush=True)
    print("Stopped.", flush=True)


def main() -> None:
    args = parse_args()
    if args.command == "up":
        with contextlib.suppress(KeyboardInterrupt):
            up(args.workdir, dags_env(args.dags_env), args.backfill)


if __name__ == "__main__":
    main()
