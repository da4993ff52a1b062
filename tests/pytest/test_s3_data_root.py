"""data_root as s3://: DuckDB reads the bucket through dbt-duckdb's fsspec filesystem (moto_server here)."""

from __future__ import annotations

import pytest
from conftest import CREDENTIALS, SAMPLE_ROOT, Warehouse, create_bucket


@pytest.fixture(scope="module")
def sample_bucket(s3_client) -> str:
    create_bucket(s3_client, "sparkify-sample")
    for path in SAMPLE_ROOT.rglob("*.json"):
        s3_client.upload_file(str(path), "sparkify-sample", path.relative_to(SAMPLE_ROOT).as_posix())
    return "s3://sparkify-sample"


def test_build_from_s3_equals_build_from_local_folder(full_build: Warehouse, new_warehouse, s3_endpoint, sample_bucket):
    warehouse: Warehouse = new_warehouse()
    result = warehouse.build(vars={"data_root": sample_bucket}, SPARKIFY_S3_ENDPOINT_URL=s3_endpoint, **CREDENTIALS)
    assert f"from {sample_bucket}" in result.output
    assert warehouse.snapshot() == full_build.snapshot()


def test_missing_s3_day_fails_with_redshifts_message(new_warehouse, s3_endpoint, sample_bucket):
    warehouse: Warehouse = new_warehouse()
    result = warehouse.dbt(
        "build",
        vars={
            "data_root": sample_bucket,
            "data_interval_start": "2018-12-01T00:00:00Z",
            "data_interval_end": "2018-12-01T01:00:00Z",
        },
        SPARKIFY_S3_ENDPOINT_URL=s3_endpoint,
        **CREDENTIALS,
    )
    assert result.returncode != 0
    assert "The specified S3 prefix 'log_data/2018/12/2018-12-01-events.json' does not exist" in result.output
