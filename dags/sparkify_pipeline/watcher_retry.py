"""A watcher node task's retry waits for its layer's build to end before it runs the node alone.

In Cosmos 1.15.1 a node task's retry that starts while its layer's `dbt build` is still alive (running, or
waiting out its own 30 s retry delay) reads the node's failed status from that build, fails in about a
second and runs no dbt: Cosmos #2947 (fixed after 1.15.1) and #3001 (open). On a long build that would use
up all 3 retries before the build ends, so the node would never run alone. This pre_execute hook reschedules
such a retry, once a minute (Airflow's guidance for reschedule mode), until the build has ended; then Cosmos
runs `dbt run` of that node alone, as the design promises.
Only that case waits: a failed status from a build that is still alive, on a try after the first. A first
try, a resume after a deferral, and the tries of a cleared (re-run) hour, whose new build has no failed
status of the node, go on as Cosmos designs them (they watch the new build).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowRescheduleException
from cosmos.operators._watcher.state import is_dbt_node_status_failed, is_producer_task_terminated

RETRY_WAIT = timedelta(minutes=1)


def failed_build_alive(context: Any) -> str | None:
    """The state of this node task's layer build while it is alive and has reported the node failed, else None."""
    task = context["ti"].task
    if not hasattr(task, "producer_task_id"):  # the producer itself, or not a watcher node task
        return None
    state = task._get_producer_task_status(context)  # Cosmos' own look-ups, through the execution API
    if is_producer_task_terminated(state):
        return None
    failed = is_dbt_node_status_failed(task._get_node_status(context["ti"], context))
    return str(state) if failed else None


def wait_for_the_build(context: Any) -> None:
    """pre_execute of the node tasks: a retry is rescheduled while the layer's build that failed its node is alive."""
    ti = context["ti"]
    resumed = getattr(getattr(ti, "_ti_context_from_server", None), "next_method", None)  # after a deferral
    if ti.try_number <= 1 or resumed:
        return
    state = failed_build_alive(context)
    if state is not None:
        print(f"sparkify: try {ti.try_number} waits for {ti.task.producer_task_id} ({state}) to end")
        raise AirflowRescheduleException(reschedule_date=datetime.now(tz=UTC) + RETRY_WAIT)
