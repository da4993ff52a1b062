"""Loads the Sparkify DAG as Airflow does and prints JSON for test_dag.py.

    python dag_runner.py describe                      # DAG attributes, tasks and edges
    python dag_runner.py run LOGICAL_DATE [--retry-delay-scale F] [--mark-success REGEX]   # one dag.test() run

dag.test() runs every task in this process: the task logs are this process's output, before the JSON.
A run's tasks report state, try_number and reschedules (how often a sensor in reschedule mode waited).

--retry-delay-scale multiplies every task's delay between retries (the DAG's own is 5 minutes; a watcher
producer's, 30 s) so a test can watch every retry happen in seconds, in the same order as in production;
the number of retries stays the DAG's. --mark-success marks the tasks
whose id matches REGEX as succeeded without running them (dag.test()'s mark_success_pattern).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from airflow.dag_processing.dagbag import BundleDagBag


def load_dag():
    dags_folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    started = time.perf_counter()
    bag = BundleDagBag(dag_folder=dags_folder, bundle_path=dags_folder, bundle_name="dags-folder")
    seconds = time.perf_counter() - started
    return bag, bag.dags.get("sparkify_hourly"), seconds


def describe() -> dict:
    bag, dag, seconds = load_dag()
    if dag is None:
        return {
            "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "dag_ids": sorted(bag.dags),
        }
    return {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "dag_ids": sorted(bag.dags),
        "load_seconds": seconds,
        "schedule": type(dag.timetable).__name__,
        "cron": getattr(dag.timetable, "_expression", None),
        "summary": dag.timetable.summary,
        "catchup": dag.catchup,
        "start_date": dag.start_date.isoformat(),
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "tags": sorted(dag.tags),
        "doc_md": dag.doc_md,
        "default_args": {k: str(v) for k, v in dag.default_args.items()},
        "tasks": {
            t.task_id: {
                "upstream": sorted(t.upstream_task_ids),
                "retries": t.retries,
                "retry_delay_seconds": t.retry_delay.total_seconds(),
                "depends_on_past": t.depends_on_past,
                "email_on_retry": t.email_on_retry,
                "vars": getattr(t, "vars", None),
                "select": getattr(t, "select", None),
                "profile": getattr(getattr(t, "profile_config", None), "target_name", None),
                "conn_id": getattr(
                    getattr(getattr(t, "profile_config", None), "profile_mapping", None), "conn_id", None
                ),
                "dbt_executable": str(getattr(t, "dbt_executable_path", "")),
                "env": getattr(t, "env", None),
                # sensors only: how they wait (seconds)
                "mode": getattr(t, "mode", None),
                "poke_interval_seconds": getattr(t, "poke_interval", None),
                "timeout_seconds": getattr(t, "timeout", None),
                "deferrable": getattr(t, "deferrable", None),
                "pre_execute": getattr(t._pre_execute_hook, "__name__", None),
                "execution_timeout_seconds": t.execution_timeout.total_seconds() if t.execution_timeout else None,
            }
            for t in dag.tasks
        },
    }


def run(logical_date: str, retry_delay_scale: float | None, mark_success: str | None = None) -> dict:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    _, dag, _ = load_dag()
    if retry_delay_scale is not None:
        for task in dag.tasks:
            task.retry_delay = timedelta(seconds=task.retry_delay.total_seconds() * retry_delay_scale)
    dag_run = dag.test(logical_date=datetime.fromisoformat(logical_date), mark_success_pattern=mark_success)
    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)

        def reschedules(ti) -> int:
            return session.scalar(select(func.count()).where(TaskReschedule.ti_id == ti.id))

        return {
            "state": str(dag_run.state),
            "tasks": {
                ti.task_id: {"state": str(ti.state), "try_number": ti.try_number, "reschedules": reschedules(ti)}
                for ti in tis
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["describe", "run"])
    parser.add_argument("logical_date", nargs="?")
    parser.add_argument("--retry-delay-scale", type=float)
    parser.add_argument("--mark-success")
    args = parser.parse_args()
    if args.command == "describe":
        result = describe()
    else:
        result = run(args.logical_date, args.retry_delay_scale, args.mark_success)
    print("DAG_RUNNER_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
