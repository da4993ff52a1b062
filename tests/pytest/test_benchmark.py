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
    r"^\| (?P<figure>[^|]+) \| (?P<value>[\d.,]+) (?P<unit>s|MiB|processes) \| (?P<baseline_name>[^:|]+): "
    r"(?P<baseline>[\d.,]+) (?:s|MiB|processes) \| (?P<ratio>[\d.]+) \| (?P<target>[^|]+) \| "
    r"(?P<verdict>hit|miss|-) \|$"
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


def table_rows(stdout: str) -> dict[str, re.Match]:
    rows = {m["figure"]: m for m in map(ROW.match, stdout.splitlines()) if m}
    for name, row in rows.items():
        value, baseline = float(row["value"].replace(",", "")), float(row["baseline"].replace(",", ""))
        assert value > 0, name
        assert baseline > 0, name
        assert float(row["ratio"]) == pytest.approx(value / baseline, rel=0.02, abs=0.01), name
        target = re.search(r"[\d.]+", row["target"].replace(",", ""))
        if target is None:
            assert row["verdict"] == "-", name
        else:  # a target with a unit bounds the value, else the ratio
            on_value = row["target"].strip().endswith(row["unit"])
            checked = value if on_value else float(row["ratio"])
            # The script decides on unrounded medians: at the printed precision of the target, either is right.
            if abs(checked - float(target[0])) > (1 if on_value else 0.005):
                assert row["verdict"] == ("hit" if checked <= float(target[0]) else "miss"), name
    return rows


def test_benchmark_measures_the_full_build_and_profiles_it(tmp_path):
    done = run_benchmark(
        "--events", "1200", "--days", "2", "--runs", "1", "--skip", "dag", "--skip", "dag-import", "--profile",
        TMPDIR=str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = table_rows(done.stdout)
    assert set(rows) == {"full build: wall", "full build: CPU time", "full build: peak RSS"}
    assert rows["full build: wall"]["baseline_name"] == "read_json floor"
    assert rows["full build: wall"]["target"].strip() == "≤ 3"  # below 5M events
    assert rows["full build: peak RSS"]["target"].strip() == "≤ 2048 MiB"
    # Peak RSS is the child's (a dbt process imports far more than 50 MiB), not the script's own.
    assert float(rows["full build: peak RSS"]["value"].replace(",", "")) > 50
    # --profile: dbt's node timings (the loads are in the staging nodes) and DuckDB's profile of the floor.
    assert "Full build (median run): wall" in done.stdout
    assert "stg_sparkify__events" in done.stdout  # per-node timings name the load (pre-hook) node
    assert "floor: read_json of the event files" in done.stdout
    assert "largest growth first" in done.stdout
    assert done.stdout.count("load average") >= 1
    # Generated data and warehouses live in a temporary folder that is removed at the end.
    assert not list(tmp_path.glob("sparkify-bench-*"))


def test_benchmark_runs_the_hourly_dag_in_both_modes_and_counts_dbt_processes(tmp_path):
    """The real `airflow dags test`, dbt as a subprocess: watcher starts 4 dbt processes (3 layer builds and the
    checks), local 9 (one per node and the checks)."""
    args = ["--events", "1200", "--days", "2", "--runs", "1", "--warmups", "0", "--skip", "dag-import"]
    done = run_benchmark(*args, TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = table_rows(done.stdout)
    label = "hourly DAG run, 2 d history"
    assert {name for name in rows if name.startswith(label)} == {
        f"{label}, watcher: wall",
        f"{label}, watcher: dbt processes",
        f"{label}, watcher: CPU time",
        f"{label}, watcher: peak RSS",
        f"{label}: wall",
        f"{label}: CPU time",
        f"{label}: peak RSS",
    }
    processes = rows[f"{label}, watcher: dbt processes"]
    assert (processes["value"], processes["baseline_name"], processes["baseline"]) == ("4", "local", "9")
    assert rows[f"{label}: wall"]["baseline_name"] == "1 d history"
    assert rows[f"{label}, watcher: wall"]["target"].strip() == "≤ 0.5"
    assert rows[f"{label}: peak RSS"]["target"].strip() == "≤ 1024 MiB"


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
