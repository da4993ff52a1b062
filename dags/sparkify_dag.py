"""Sparkify hourly warehouse load: an Airflow DAG rendered by astronomer-cosmos from the dbt project.

begin (input check) → stage (COPY pre-hooks: songs ∥ events, seeds) → songplays fact →
dimensions (in parallel) → quality checks (every dbt data test) → end.
begin is a sensor: it waits for every event file of the run's interval (looking every
input_poke_minutes, freeing its worker slot in between) and, when one is still missing after
input_timeout_minutes, fails without retries, so the run fails and no dbt task runs.
Quality checks that only warn leave the run green but are summarised in the task log and sent to
the on_warning hook (sparkify_pipeline/alerts.py).
A manual run whose data interval is not the hour of its logical date fails at begin (re-run a past hour
with a backfill: sparkify_pipeline/run_interval.py).
Each layer runs one `dbt build` of its nodes (Cosmos' watcher execution mode): a task per dbt node shows
that node's status, waiting in the triggerer (deferred), and a node that failed is retried 3 times, 5 minutes
apart, as a dbt run of that node alone (sparkify_pipeline/config.py). A failing data test fails
quality_checks, which is retried likewise. Every dbt task has an execution timeout.
DuckDB has one writer: its runs take one task at a time.
Layers are dbt selections, so a new model lands in its layer without editing this file.
Settings come from the environment (sparkify_pipeline/settings.py; docs/airflow.md "DAG settings").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, PokeReturnValue, chain, task
from airflow.timetables.interval import CronDataIntervalTimetable
from cosmos import DbtTaskGroup
from cosmos.operators.local import DbtTestLocalOperator
from sparkify_pipeline.alerts import on_dbt_warnings
from sparkify_pipeline.config import dbt_task_args, layer_args
from sparkify_pipeline.settings import SETTINGS

default_args = {
    "owner": "data-platform",
    "depends_on_past": False,
    "retries": 3,
    "retry_delay": timedelta(minutes=5),
    "email_on_retry": False,
}

with DAG(
    dag_id="sparkify_hourly",
    # A real one-hour data interval per run (Airflow 3's "@hourly" has zero-length intervals).
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2018, 11, 1),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=SETTINGS.max_active_tasks,  # DuckDB: 1 (one writer); Redshift: sized to the workers
    default_args=default_args,
    tags=["sparkify", "dbt", "cosmos", SETTINGS.target],
    doc_md=__doc__,
) as dag:

    @task.sensor(
        task_id="begin",
        mode="reschedule",
        poke_interval=timedelta(minutes=SETTINGS.input_poke_minutes),
        timeout=timedelta(minutes=SETTINGS.input_timeout_minutes),
    )
    def begin(
        dag=None, dag_run=None, data_interval_start: datetime | None = None, data_interval_end: datetime | None = None
    ) -> PokeReturnValue:
        """Done when every event file of this run exists; its XCom is their keys. Times out into a failed run.
        A manual run whose interval is not the hour of its logical date fails at once (run_interval.py)."""
        from sparkify_pipeline.run_interval import refuse_unasked_interval
        from sparkify_pipeline.source_files import event_keys, existing

        refuse_unasked_interval(dag, dag_run, data_interval_start, data_interval_end)
        keys = event_keys(SETTINGS.project_dir, data_interval_start, data_interval_end)
        found = existing(SETTINGS.data_root, keys, SETTINGS.dbt_env.get("SPARKIFY_S3_ENDPOINT_URL"))
        missing = [key for key in keys if key not in found]
        if missing:
            logging.getLogger(__name__).info("sparkify: waiting for %s under %s", missing, SETTINGS.data_root)
        return PokeReturnValue(is_done=not missing, xcom_value=found)

    stage = DbtTaskGroup(**layer_args("stage"))
    fact = DbtTaskGroup(**layer_args("songplays_fact"))
    dimensions = DbtTaskGroup(**layer_args("dimensions"))
    quality_checks = DbtTestLocalOperator(
        task_id="quality_checks",
        exclude="test_type:unit tag:semantic",  # the time spines' tests run in the docs DAG
        on_warning_callback=on_dbt_warnings,
        **dbt_task_args(parse_cache_of=f"{dag.dag_id}__{dimensions.group_id}"),
    )

    chain(begin(), stage, fact, dimensions, quality_checks, EmptyOperator(task_id="end"))
