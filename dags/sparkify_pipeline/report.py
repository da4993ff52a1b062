"""The analysts' report in the daily docs DAG: python -m sparkify_report against the DAG's warehouse, then
report.html uploaded next to the docs site's static_index.html.

It runs where dbt runs: in dbt's own virtualenv on MWAA (which holds MetricFlow), as a process of its own;
in this process when dbt runs in process (locally: dbt-duckdb keeps the DuckDB file open in the process that
ran dbt, and DuckDB allows one writer per file). Either way with the dbt profile Cosmos gives the dbt tasks
(ProfileConfig.ensure_profile) and the same environment: the connection's templates are rendered by Airflow
(env is a templated field). Its target path, dbt logs and report live in a temporary folder; nothing is
written in the project folder.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException

from sparkify_pipeline.config import PROFILE_CONFIG
from sparkify_pipeline.settings import SETTINGS


def report_python() -> str:
    """The Python of dbt's virtualenv when dbt runs from one (MWAA), else this one."""
    return str(Path(SETTINGS.dbt_executable).with_name("python")) if SETTINGS.dbt_executable else sys.executable


def run_in_process(args: list[str], env: Mapping[str, str]) -> tuple[int, str]:
    """sparkify_report's main(args) in this process, with env set for its duration; its exit code and output."""
    if str(SETTINGS.project_dir) not in sys.path:
        sys.path.insert(0, str(SETTINGS.project_dir))
    from sparkify_report.__main__ import main

    saved, output = dict(os.environ), io.StringIO()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = main(args)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, output.getvalue().strip()


class PublishReportOperator(BaseOperator):
    """Builds target/report.html with python -m sparkify_report and puts it at s3://bucket/prefix/report.html."""

    template_fields = ("env",)

    def __init__(self, *, bucket: str, prefix: str, conn_id: str, env: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bucket, self.prefix, self.conn_id, self.env = bucket, prefix, conn_id, dict(env)

    def execute(self, context: Any) -> str:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        with PROFILE_CONFIG.ensure_profile() as (profile_path, profile_env), tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.html"
            command = [
                report_python(), "-m", "sparkify_report", "--project-dir", str(SETTINGS.project_dir),
                "--profiles-dir", str(Path(profile_path).parent), "--target", PROFILE_CONFIG.target_name,
                "--target-path", str(Path(tmp) / "target"), "--out", str(report),
            ]  # fmt: skip
            env = {**self.env, **profile_env, "DBT_LOG_PATH": str(Path(tmp) / "logs"), "PYTHONDONTWRITEBYTECODE": "1"}
            if SETTINGS.dbt_executable:
                done = subprocess.run(
                    command, cwd=SETTINGS.project_dir, env={**os.environ, **env}, capture_output=True, text=True
                )
                code, output = done.returncode, (done.stdout + done.stderr).strip()
            else:
                code, output = run_in_process(command[3:], env)
            self.log.info("%s", output)
            if code != 0:
                raise AirflowException(f"python -m sparkify_report failed (exit {code}): {output[-2000:]}")
            key = f"{self.prefix}/report.html" if self.prefix else "report.html"
            S3Hook(aws_conn_id=self.conn_id).load_file(str(report), key=key, bucket_name=self.bucket, replace=True)
        self.log.info("published s3://%s/%s", self.bucket, key)
        return key
