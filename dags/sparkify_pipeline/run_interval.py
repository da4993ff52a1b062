"""A manual run loads the hour its user asked for, or fails saying why: the input check's first step.

Airflow 3.3 gives a manual run (`airflow dags trigger --logical-date T`, the UI's trigger form) the data
interval of the last hour before the moment it is triggered, not the hour of its logical date: asked for
2018-11-15T15:00, it would load today's hour (and fail waiting for today's file). `begin` refuses such a
run before anything is loaded, naming both intervals and what re-runs a past hour: a backfill, or a clear
of that hour's run (docs/airflow.md "Re-run a past hour").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pendulum
from airflow.sdk.exceptions import AirflowFailException

HOW_TO_RERUN = (
    "re-run a past hour with `airflow backfill create --dag-id {dag_id} --from-date <hour start>"
    " --to-date <hour start>` or by clearing the tasks of that hour's run"
)


def asked_interval(timetable: Any, logical_date: datetime) -> tuple[datetime, datetime]:
    """The data interval a manual run of logical_date stands for: the hour that ends there (as `dags test`)."""
    interval = timetable.infer_manual_data_interval(run_after=pendulum.instance(logical_date))
    return interval.start, interval.end


def unasked_interval(dag: Any, dag_run: Any, start: datetime | None, end: datetime | None) -> str | None:
    """Why this run must not load anything, or None: a manual run whose interval is not its logical date's."""
    run_type = getattr(dag_run, "run_type", None)
    if getattr(run_type, "value", run_type) != "manual" or dag_run.logical_date is None:
        return None
    wanted = asked_interval(dag.timetable, dag_run.logical_date)
    if start is None or end is None or wanted == (start, end):
        return None
    return (
        f"this manual run asked for logical date {dag_run.logical_date.isoformat()}, the hour"
        f" {wanted[0].isoformat()} to {wanted[1].isoformat()}, but Airflow gave it the data interval"
        f" {start.isoformat()} to {end.isoformat()}, the hour before it was triggered; nothing was loaded."
        f" To {HOW_TO_RERUN.format(dag_id=dag.dag_id)}"
    )


def refuse_unasked_interval(dag: Any, dag_run: Any, start: datetime | None, end: datetime | None) -> None:
    """Fails the task, without retries, when the run's interval is not the one its user asked for."""
    reason = unasked_interval(dag, dag_run, start, end)
    if reason:
        raise AirflowFailException(f"sparkify: {reason}")
