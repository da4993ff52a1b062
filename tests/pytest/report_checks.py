"""Runs of the report (python -m sparkify_report) and the check of its rows against the Python reference, shared
by test_report.py (DuckDB) and test_redshift_harness.py (the harness, provisioned and Serverless)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import metrics_reference
from conftest import PROJECT_DIR, base_env
from reference import build_star, read_events, read_songs


def run_report(workdir: Path, *args: str, project_dir: Path = PROJECT_DIR, **env: str) -> subprocess.CompletedProcess:
    """python -m sparkify_report, its target and dbt logs in workdir; the report and its rows there too."""
    return subprocess.run(
        [sys.executable, "-m", "sparkify_report", "--project-dir", str(project_dir), "--target-path",
         str(workdir / "target"), "--out", str(workdir / "report.html"), "--rows", str(workdir / "rows.json"), *args],
        cwd=PROJECT_DIR,
        env=base_env(DBT_LOG_PATH=str(workdir / "logs"), DBT_PROFILES_DIR=str(project_dir), **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip


def normalized(value):
    """A value as both sides can give it: dates as ISO days, numbers as floats to 9 places."""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 9)
    if isinstance(value, str):
        try:
            return round(float(value), 9)
        except ValueError:
            return value
    return value


def assert_equals_reference(rows: dict[str, list[dict]], root: Path) -> None:
    """Every saved query's rows equal the reference's: the same rows (top lists: in the same order)."""
    star = build_star(read_events(root), read_songs(root))
    assert set(rows) == set(metrics_reference.SAVED_QUERIES)
    for name, reference in metrics_reference.SAVED_QUERIES.items():
        expected = [{k: normalized(v) for k, v in row.items()} for row in reference(star)]
        got = [{k: normalized(v) for k, v in row.items()} for row in rows[name]]
        if not name.startswith("top_"):
            expected, got = (sorted(side, key=lambda row: json.dumps(row, sort_keys=True)) for side in (expected, got))
        assert got == expected, name
        assert got, name
