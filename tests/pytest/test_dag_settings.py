"""The DAG's settings (env / MWAA configuration options) and its input check, without running Airflow."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import airflow  # noqa: F401  (Airflow must initialise before cosmos, which is one of its plugins)
import pytest
from conftest import CREDENTIALS, PROJECT_DIR, SAMPLE_ROOT, create_bucket

sys.path.insert(0, str(PROJECT_DIR / "dags"))
from cosmos import LoadMode
from sparkify_pipeline.config import Settings
from sparkify_pipeline.source_files import event_keys, existing

ROLE = "arn:aws:iam::123456789012:role/sparkify-copy"


def test_mwaa_configuration_options_configure_production():
    settings = Settings.from_env(
        {
            "SPARKIFY_TARGET": "redshift",  # exported by mwaa/startup.sh
            "AIRFLOW__SPARKIFY__DATA_ROOT": "s3://udacity-dend",  # MWAA option sparkify.data_root
            "AIRFLOW__SPARKIFY__IAM_ROLE": ROLE,
            "AIRFLOW__SPARKIFY__REDSHIFT_CONN_ID": "sparkify_redshift",
        }
    )
    assert settings.target == "redshift"
    assert settings.load_mode == LoadMode.DBT_MANIFEST
    assert settings.redshift_conn_id == "sparkify_redshift"
    assert settings.dbt_env["SPARKIFY_DATA_ROOT"] == "s3://udacity-dend"
    assert settings.dbt_env["SPARKIFY_IAM_ROLE"] == ROLE


def test_env_wins_over_configuration_option_and_local_paths_are_absolute():
    settings = Settings.from_env({"SPARKIFY_DATA_ROOT": "data/sparkify", "AIRFLOW__SPARKIFY__DATA_ROOT": "s3://other"})
    assert settings.target == "duckdb"
    assert settings.data_root == str(SAMPLE_ROOT)  # dbt runs in a temporary copy of the project
    assert settings.duckdb_path.is_absolute()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SPARKIFY_TARGET": "snowflake"}, "SPARKIFY_TARGET='snowflake': expected one of duckdb, redshift"),
        ({"SPARKIFY_COSMOS_LOAD_MODE": "fast"}, "SPARKIFY_COSMOS_LOAD_MODE='fast': expected dbt_manifest"),
    ],
)
def test_bad_setting_names_the_setting_and_value(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_event_keys_follow_the_dbt_projects_day_files():
    start, end = datetime(2018, 11, 15, 23, tzinfo=UTC), datetime(2018, 11, 16, 1, tzinfo=UTC)
    assert event_keys(PROJECT_DIR, start, end) == [
        "log_data/2018/11/2018-11-15-events.json",
        "log_data/2018/11/2018-11-16-events.json",
    ]
    hour = (datetime(2018, 11, 15, 14, tzinfo=UTC), datetime(2018, 11, 15, 15, tzinfo=UTC))
    assert event_keys(PROJECT_DIR, *hour) == ["log_data/2018/11/2018-11-15-events.json"]
    assert event_keys(PROJECT_DIR, None, None) == ["log_data/"]


def test_existing_finds_local_day_files():
    keys = ["log_data/2018/11/2018-11-15-events.json", "log_data/2018/12/2018-12-01-events.json", "log_data/"]
    assert existing(str(SAMPLE_ROOT), keys) == ["log_data/2018/11/2018-11-15-events.json", "log_data/"]


def test_existing_finds_s3_day_files(s3_endpoint, s3_client, monkeypatch):
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    create_bucket(s3_client, "input-check")
    s3_client.put_object(Bucket="input-check", Key="raw/log_data/2018/11/2018-11-15-events.json", Body=b"{}\n")
    keys = ["log_data/2018/11/2018-11-15-events.json", "log_data/2018/11/2018-11-16-events.json"]
    assert existing("s3://input-check/raw", keys, s3_endpoint) == ["log_data/2018/11/2018-11-15-events.json"]
