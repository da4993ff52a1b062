"""scripts/benchmark.py at a tiny scale: it runs end to end and its table is consistent.

Speed targets are not asserted here (they live in the script's output and BENCHMARKS.md); this
checks that every figure is measured and reported the way the table says.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR, base_env

SCRIPT = PROJECT_DIR / "scripts" / "benchmark.py"
ROW = re.compile(
    r"^\| (?P<figure>[^|]+) \| (?P<value>[\d.,]+) (?P<unit>s|MiB) \| (?P<baseline_name>[^:|]+): "
    r"(?P<baseline>[\d.,]+) (?:s|MiB) \| (?P<ratio>[\d.]+) \| (?P<target>[^|]+) \| (?P<verdict>hit|miss|-) \|$"
)


def run_benchmark(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=PROJECT_DIR,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_benchmark_measures_every_figure_and_reports_consistent_ratios(tmp_path):
    done = run_benchmark(
        "--events", "1200", "--days", "2", "--runs", "1", "--skip", "dag-import", "--profile", TMPDIR=str(tmp_path)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {m["figure"]: m for m in map(ROW.match, done.stdout.splitlines()) if m}
    assert set(rows) == {
        "full build: wall",
        "full build: CPU time",
        "full build: peak RSS",
        "hourly window run, 2 d history: wall",
        "hourly window run, 2 d history: CPU time",
        "hourly window run, 2 d history: dbt node time",
        "hourly window run, 2 d history: peak RSS",
    }
    for name, row in rows.items():
        value, baseline = float(row["value"].replace(",", "")), float(row["baseline"].replace(",", ""))
        assert value > 0, name
        assert baseline > 0, name
        assert float(row["ratio"]) == pytest.approx(value / baseline, rel=0.02, abs=0.01), name
        target = re.search(r"[\d.]+", row["target"])
        if target is None:
            assert row["verdict"] == "-", name
        else:
            assert row["verdict"] == ("hit" if float(row["ratio"]) <= float(target[0]) else "miss"), name
    assert rows["full build: wall"]["baseline_name"] == "read_json floor"
    assert rows["hourly window run, 2 d history: wall"]["baseline_name"] == "1 d history"
    # Peak RSS is the child's (a dbt process imports far more than 50 MiB), not the script's own.
    assert float(rows["full build: peak RSS"]["value"].replace(",", "")) > 50
    # --profile: dbt's node timings (the loads are in the staging nodes) and DuckDB's profile of the floor.
    assert "Full build (median run): wall" in done.stdout
    assert "stg_sparkify__events" in done.stdout  # per-node timings name the load (pre-hook) node
    assert "floor: read_json of the event files" in done.stdout
    assert "largest growth first" in done.stdout
    # Generated data and warehouses live in a temporary folder that is removed at the end.
    assert not list(tmp_path.glob("sparkify-bench-*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "0"], "--events 0: expected a whole number >= 1"),
        (["--days", "1"], "--days 1: expected a whole number >= 2"),
        (["--events", "5", "--days", "10"], "--events 5: expected at least one event per day (--days 10)"),
        (["--workdir", "/tmp/bench 'x'"], "--workdir /tmp/bench 'x': expected a path made of letters"),
    ],
)
def test_benchmark_rejects_bad_options_naming_them(args, message):
    done = run_benchmark(*args)
    assert done.returncode == 2
    assert message in done.stderr
