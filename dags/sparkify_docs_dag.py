"""Sparkify dbt docs: a daily Airflow DAG (astronomer-cosmos) that publishes the analysts' docs site.

Generates the dbt docs site (`dbt docs generate --static`) against the warehouse the hourly DAG
loads, so the catalog shows today's tables, and uploads the single-file site static_index.html to
s3://<docs_bucket>/<docs_prefix>/ with the Airflow connection <docs_conn_id>. Analysts open it from
S3 static website hosting or from the Cosmos dbt docs view in the Airflow UI (see the README).
Rendered only when the setting docs_bucket is configured.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG
from cosmos.operators.local import DbtDocsS3LocalOperator
from sparkify_pipeline.config import SETTINGS, dbt_task_args

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
        DbtDocsS3LocalOperator(
            task_id="publish_docs",
            connection_id=SETTINGS.docs_conn_id,
            bucket_name=SETTINGS.docs_bucket,
            folder_dir=SETTINGS.docs_prefix,
            dbt_cmd_flags=["--static"],
            **dbt_task_args(window=False),  # the docs show the models as a full build compiles them
        )
