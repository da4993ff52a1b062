"""Sparkify dbt docs: a daily Airflow DAG (astronomer-cosmos) that publishes the analysts' docs site and report.

Builds MetricFlow's time spines (`dbt build --select tag:semantic`: the hourly DAG's layers leave them out),
then generates the dbt docs site (`dbt docs generate --static`) against the warehouse the
hourly DAG loads, so the catalog shows today's tables, then the report of the governed metrics
(sparkify_pipeline/report.py); uploads the single-file site static_index.html and report.html to
s3://<docs_bucket>/<docs_prefix>/ with the Airflow connection <docs_conn_id>. Analysts open them from
S3 static website hosting or from the Cosmos dbt docs view in the Airflow UI (see docs/analysts.md).
Rendered only when the setting docs_bucket is configured.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG
from cosmos.operators.local import DbtBuildLocalOperator, DbtDocsS3LocalOperator
from sparkify_pipeline.config import CONNECTION_ENV, dbt_task_args
from sparkify_pipeline.report import PublishReportOperator
from sparkify_pipeline.settings import SETTINGS

if SETTINGS.docs_bucket:
    with DAG(
        dag_id="sparkify_docs",
        schedule="@daily",
        start_date=datetime(2018, 11, 1),
        catchup=False,
        max_active_runs=1,
        default_args={"owner": "data-platform", "retries": 1},
        tags=["sparkify", "dbt", "docs"],
        doc_md=__doc__,
    ) as dag:
        time_spines = DbtBuildLocalOperator(
            task_id="build_time_spines", select=["tag:semantic"], **dbt_task_args(window=False)
        )
        docs = DbtDocsS3LocalOperator(
            task_id="publish_docs",
            connection_id=SETTINGS.docs_conn_id,
            bucket_name=SETTINGS.docs_bucket,
            folder_dir=SETTINGS.docs_prefix,
            dbt_cmd_flags=["--static"],
            **dbt_task_args(window=False),  # the docs show the models as a full build compiles them
        )
        report = PublishReportOperator(
            task_id="publish_report",
            bucket=SETTINGS.docs_bucket,
            prefix=SETTINGS.docs_prefix,
            conn_id=SETTINGS.docs_conn_id,
            env={**SETTINGS.dbt_env, **CONNECTION_ENV},
            execution_timeout=dbt_task_args()["execution_timeout"],
        )
        time_spines >> docs >> report  # one after another: DuckDB allows one writer per file
