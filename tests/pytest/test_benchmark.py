"""benchmarks/benchmark.py at a tiny scale: it runs end to end and its table is consistent.

Speed targets are not asserted here (they live in the script's output and docs/benchmarks.md); this
checks that every figure is measured and reported the way the table says.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR, base_env

SCRIPT = PROJECT_DIR / "benchmarks" / "benchmark.py"
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
        # The ratio is of unrounded medians: it must fit the printed values at their printed precision.
        half = 0.5 * 10 ** -len(row["value"].partition(".")[2]), 0.5 * 10 ** -len(row["baseline"].partition(".")[2])
        low, high = (value - half[0]) / (baseline + half[1]), (value + half[0]) / max(baseline - half[1], 1e-9)
        assert low * 0.98 - 0.01 <= float(row["ratio"]) <= high * 1.02 + 0.01, name
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


def test_benchmark_measures_the_full_build_and_the_hourly_dag_and_profiles_them(tmp_path):
    """One run of the script at a tiny scale, every section but the DAG import: the full build against its floor,
    the report against `dbt docs generate`, the hourly DAG (the real `airflow dags test`, dbt as a subprocess) with
    and without history, and --profile.
    The watcher starts 4 dbt processes in either DAG run (3 layer builds and the checks). --skip dag-local leaves
    out the local mode's runs (one dbt process per node, the slowest DAG run; docs/benchmarks.md keeps its figures)
    and the figures that compare with it."""
    done = run_benchmark(
        "--events", "1200", "--days", "2", "--runs", "1", "--warmups", "0", "--skip", "dag-local",
        "--skip", "dag-import", "--profile", TMPDIR=str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = table_rows(done.stdout)
    label = "hourly DAG run, 2 d history"
    assert set(rows) == {
        "events load (copy_json and the staging model)",
        "full build: wall",
        "full build: CPU time",
        "full build: peak RSS",
        f"{label}: dbt processes",
        f"{label}: wall",
        f"{label}: CPU time",
        f"{label}: peak RSS",
        "report: wall",
        "report: peak RSS",
    }
    assert rows["full build: wall"]["baseline_name"] == "read_json floor"
    assert rows["full build: wall"]["target"].strip() == "≤ 3"  # below 5M events
    assert rows["full build: peak RSS"]["target"].strip() == "≤ 1536 MiB"
    load = rows["events load (copy_json and the staging model)"]
    assert (load["baseline_name"], load["target"].strip()) == ("read_json of the events", "≤ 2")
    # The load is one node of the build, the read one statement of the floor: each is less than its whole.
    assert float(load["value"].replace(",", "")) < float(rows["full build: wall"]["value"].replace(",", ""))
    assert float(load["baseline"].replace(",", "")) < float(rows["full build: wall"]["baseline"].replace(",", ""))
    # Peak RSS is the child's (a dbt process imports far more than 50 MiB), not the script's own.
    assert float(rows["full build: peak RSS"]["value"].replace(",", "")) > 50
    report = rows["report: wall"]
    assert (report["baseline_name"], report["target"].strip()) == ("dbt docs generate", "≤ 2")
    processes = rows[f"{label}: dbt processes"]
    assert (processes["value"], processes["baseline_name"], processes["baseline"]) == ("4", "1 d history", "4")
    assert rows[f"{label}: wall"]["baseline_name"] == "1 d history"
    assert rows[f"{label}: wall"]["target"].strip() == "≤ 1.1"
    assert rows[f"{label}: peak RSS"]["target"].strip() == "≤ 1024 MiB"
    # --profile: dbt's node timings (the loads are in the staging nodes), DuckDB's profile of the floor, the DAG
    # runs' task timelines.
    assert "Full build (median run): wall" in done.stdout
    assert "stg_sparkify__events" in done.stdout  # per-node timings name the load (pre-hook) node
    assert "floor: read_json of the event files" in done.stdout
    assert "largest growth first" in done.stdout
    assert f"{label}, watcher" in done.stdout
    assert "no task timeline" not in done.stdout
    assert done.stdout.count("load average") >= 2
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
