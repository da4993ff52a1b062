"""Which event files a run will load, and whether they exist: the DAG's input check.

The key rule is the dbt project's (macros/copy_json/sparkify_load_plan.sql): one file per UTC day
that the window overlaps, at <events_prefix>/<events_day_key as strftime>; in full mode, any key
under <events_prefix>/. Prefix and pattern are read from dbt_project.yml, so there is one source.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml


def project_vars(project_dir: Path) -> dict:
    return yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]


def window_days(start: datetime, end: datetime) -> list[date]:
    """UTC days overlapping [start, end)."""
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def event_keys(project_dir: Path, start: datetime | None, end: datetime | None) -> list[str]:
    """Keys (relative to the data root) the run loads: day files, or the prefix in full mode."""
    settings = project_vars(project_dir)
    prefix = settings["events_prefix"].strip("/")
    if start is None or end is None:
        return [f"{prefix}/"]
    return [f"{prefix}/{day.strftime(settings['events_day_key'])}" for day in window_days(start, end)]


def existing(data_root: str, keys: list[str], endpoint_url: str | None = None) -> list[str]:
    """The keys that match at least one file (S3 key-prefix semantics, like Redshift COPY)."""
    if data_root.startswith("s3://"):
        import boto3  # in MWAA's Airflow environment, and in ours via moto

        bucket, _, root_prefix = data_root.removeprefix("s3://").partition("/")
        client = boto3.client("s3", endpoint_url=endpoint_url)
        found = []
        for key in keys:
            full = f"{root_prefix.strip('/')}/{key}".lstrip("/")
            if client.list_objects_v2(Bucket=bucket, Prefix=full, MaxKeys=1).get("KeyCount", 0):
                found.append(key)
        return found
    root = Path(data_root)
    return [key for key in keys if (root / key).is_file() or any((root / key).rglob("*.json"))]
