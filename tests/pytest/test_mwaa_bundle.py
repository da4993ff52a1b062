"""The MWAA deploy bundle: requirements, startup script, and the bucket layout the deploy command writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import CREDENTIALS, PROJECT_DIR, base_env, create_bucket

DEPLOY = PROJECT_DIR / "scripts" / "deploy_mwaa.py"
EXPECTED_KEYS = {
    "requirements.txt",
    "startup.sh",
    "dags/sparkify_dag.py",
    "dags/sparkify_docs_dag.py",
    "dags/.airflowignore",
    "dags/sparkify_pipeline/__init__.py",
    "dags/sparkify_pipeline/config.py",
    "dags/sparkify_pipeline/source_files.py",
    "dags/dbt/sparkify/dbt_project.yml",
    "dags/dbt/sparkify/profiles.yml",
    "dags/dbt/sparkify/models/marts/fct_songplays.sql",
    "dags/dbt/sparkify/macros/copy_json/redshift__copy_json.sql",
    "dags/dbt/sparkify/seeds/app_pages.csv",
    "dags/dbt/sparkify/tests/generic/sql_returns.sql",
    "dags/dbt/sparkify/target/manifest.json",
}


def pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*\"?([a-z][a-z0-9-]*)==([0-9.]+)", text, re.MULTILINE))


def test_mwaa_requirements_target_airflow_331_on_python_312():
    text = (PROJECT_DIR / "mwaa" / "requirements.txt").read_text()
    assert (
        '--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/constraints-3.12.txt"' in text
    )
    local = pins((PROJECT_DIR / "requirements-airflow.txt").read_text())
    assert pins(text) == {"astronomer-cosmos": local["astronomer-cosmos"]}
    assert local["apache-airflow"] == "3.3.1"


def test_startup_script_builds_dbt_venv_with_the_project_pins():
    script = (PROJECT_DIR / "mwaa" / "startup.sh").read_text()
    assert subprocess.run(["bash", "-n", str(PROJECT_DIR / "mwaa" / "startup.sh")], check=False).returncode == 0
    startup_pins = dict(re.findall(r"([a-z][a-z0-9-]*)==([0-9.]+)", script))
    runtime = pins((PROJECT_DIR / "requirements.txt").read_text())
    assert startup_pins == {"dbt-core": runtime["dbt-core"], "dbt-redshift": runtime["dbt-redshift"]}
    for setting in ("SPARKIFY_TARGET=redshift", 'SPARKIFY_DBT_EXECUTABLE="$DBT_VENV/bin/dbt"', "DO_NOT_TRACK=1"):
        assert f"export {setting}" in script


def run_deploy(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DEPLOY), *args],
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_deploy_dry_run_prints_the_layout_and_uploads_nothing():
    done = run_deploy("--bucket", "my-mwaa-bucket", "--dry-run")
    assert done.returncode == 0, done.stderr
    keys = set(re.findall(r"-> s3://my-mwaa-bucket/(\S+)", done.stdout))
    assert keys >= EXPECTED_KEYS
    assert not any(k.startswith(("dags/dbt/sparkify/data/", "dags/dbt/sparkify/tests/pytest")) for k in keys)
    assert "nothing uploaded" in done.stdout


def test_deploy_rejects_a_bucket_that_is_not_a_name():
    done = run_deploy("--bucket", "s3://my-bucket/dags")
    assert done.returncode == 2
    assert "--bucket 's3://my-bucket/dags': expected an S3 bucket name" in done.stderr


def test_deploy_uploads_the_bundle(s3_endpoint, s3_client):
    s3 = s3_client
    create_bucket(s3, "mwaa-env")
    done = run_deploy("--bucket", "mwaa-env", SPARKIFY_S3_ENDPOINT_URL=s3_endpoint, **CREDENTIALS)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    keys = {obj["Key"] for obj in s3.list_objects_v2(Bucket="mwaa-env", MaxKeys=1000)["Contents"]}
    assert keys >= EXPECTED_KEYS
    manifest = json.loads(s3.get_object(Bucket="mwaa-env", Key="dags/dbt/sparkify/target/manifest.json")["Body"].read())
    assert manifest["metadata"]["adapter_type"] == "redshift"
    assert "model.sparkify.fct_songplays" in manifest["nodes"]
