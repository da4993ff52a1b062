"""benchmarks/benchmark.py at a tiny scale: it runs end to end and its table is consistent.

Speed targets are not asserted here (they live in the script's output and docs/benchmarks.md); this
checks that every figure is measured and reported the way the table says.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
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


def test_benchmark_measures_the_full_build_and_the_report_and_profiles_them(tmp_path):
    """One run of the script at a tiny scale, without the DAG sections: the full build against its floor, the events
    load against its read, the report against `dbt docs generate`, and --profile (node timings, the floor's DuckDB
    profile, window builds with 2 days of history against 1). The hourly DAG's figures are derived from its runs by
    figure_dag_runs, checked below on runs of known cost; each real run is an `airflow dags test` of the DAG (two of
    them took 90 CPU-s of this test, 0.7 of the suite's time), and `make benchmark` runs them."""
    done = run_benchmark(
        "--events", "1200", "--days", "2", "--runs", "1", "--warmups", "0", "--skip", "dag",
        "--skip", "dag-import", "--profile", TMPDIR=str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = table_rows(done.stdout)
    assert set(rows) == {
        "events load (copy_json and the staging model)",
        "full build: wall",
        "full build: CPU time",
        "full build: peak RSS",
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
    # --profile: dbt's node timings (the loads are in the staging nodes), DuckDB's profile of the floor, the window
    # builds with and without history.
    assert "Full build (median run): wall" in done.stdout
    assert "stg_sparkify__events" in done.stdout  # per-node timings name the load (pre-hook) node
    assert "floor: read_json of the event files" in done.stdout
    assert "Window dbt build, 2 d history" in done.stdout
    assert "Window dbt build, 1 d history" in done.stdout
    assert "largest growth first" in done.stdout
    assert "Hourly DAG runs" not in done.stdout  # --skip dag
    assert done.stdout.count("load average") >= 2
    # Generated data and warehouses live in a temporary folder that is removed at the end.
    assert not list(tmp_path.glob("sparkify-bench-*"))


@functools.cache
def load_benchmark():
    """benchmarks/benchmark.py as a module (it puts benchmarks/ and scripts/ on sys.path itself)."""
    spec = importlib.util.spec_from_file_location("sparkify_benchmark", SCRIPT)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("local", [False, True], ids=["skip-dag-local", "with-dag-local"])
def test_dag_figures_and_verdicts_follow_from_the_runs(tmp_path, monkeypatch, local):
    """figure_dag_runs on runs of known cost (Warehouse.dag_run and the untimed 1-day build replaced): the warmups
    come first, then the runs interleaved case by case; each figure is the median of its runs against its baseline's,
    its verdict follows its target (the 1.10 history ratio, the 1 GiB peak RSS, watcher / local 0.5), and the
    printed table says the same (table_rows checks every row's ratio and verdict against its values)."""
    bench = load_benchmark()
    calls = []
    costs = {  # (mode, warehouse) -> per run: wall s, peak RSS MiB, CPU s, dbt processes
        ("watcher", "build"): [(11.0, 1100.0, 9.0, 4), (10.0, 900.0, 8.0, 4), (30.0, 950.0, 20.0, 4)],
        ("watcher", "one_day"): [(9.0, 500.0, 7.0, 4), (9.5, 520.0, 7.5, 4), (9.2, 510.0, 7.2, 4)],
        ("local", "build"): [(25.0, 800.0, 30.0, 13), (24.0, 810.0, 29.0, 13), (26.0, 790.0, 31.0, 13)],
    }

    def dag_run(self, home_env, mode, logical_date, log):
        calls.append((self.workdir.name, mode, log, logical_date))
        if log.startswith("dag_warmup"):
            return bench.Sample(99.0, 9999.0, 99.0)
        wall, rss, cpu, processes = costs[(mode, self.workdir.name)].pop(0)
        return bench.Sample(wall, rss, cpu, dbt_processes=processes)

    monkeypatch.setattr(bench.Warehouse, "dag_run", dag_run)
    monkeypatch.setattr(bench.Warehouse, "dbt", lambda self, *args, **kwargs: calls.append((self.workdir.name, args)))
    monkeypatch.setattr(bench, "airflow_home", contextlib.nullcontext)
    history = bench.Warehouse(tmp_path / "build", tmp_path / "data")
    one_day = bench.Warehouse(tmp_path / "one_day", tmp_path / "data_1d")

    timelines, figures = bench.figure_dag_runs(history, one_day, days=30, runs=3, warmups=1, local=local)

    hour = "2018-11-30T15:00:00+00:00"  # the run ending at 15:00 on the last of 30 days from 2018-11-01
    cases = [("build", "watcher"), *([("build", "local")] if local else []), ("one_day", "watcher")]
    assert calls == [
        ("one_day", ("build",)),  # untimed: the 1-day warehouse
        *[(name, mode, f"dag_warmup_{mode}0.out", hour) for name, mode in cases],
        *[(name, mode, f"dag_{mode}{i}.out", hour) for i in range(3) for name, mode in cases],
    ]
    by_name = {figure.name: figure for figure in figures}
    label = "hourly DAG run, 30 d history"
    wall = by_name[f"{label}: wall"]
    assert (wall.median, wall.baseline_name, wall.baseline_median) == (11.0, "1 d history", 9.2)
    assert wall.ratio == pytest.approx(11.0 / 9.2)
    assert wall.verdict() == "miss"  # 1.196 > 1.10
    assert by_name[f"{label}: CPU time"].median == 9.0
    assert by_name[f"{label}: CPU time"].verdict() == "-"
    rss = by_name[f"{label}: peak RSS"]
    assert (rss.median, rss.target, rss.target_on_value, rss.verdict()) == (950.0, 1024.0, True, "hit")
    if local:
        watcher = by_name[f"{label}, watcher: wall"]
        assert (watcher.baseline_name, watcher.baseline_median, watcher.verdict()) == ("local", 25.0, "hit")  # 0.44
        processes = by_name[f"{label}, watcher: dbt processes"]
        assert (processes.median, processes.baseline_median) == (4, 13)
        assert f"{label}: dbt processes" not in by_name
    else:
        processes = by_name[f"{label}: dbt processes"]
        assert (processes.median, processes.baseline_name, processes.baseline_median) == (4, "1 d history", 4)
        assert not any(", watcher:" in name for name in by_name)
    assert len(timelines) == (3 if local else 2)
    assert all("no task timeline" in timeline for timeline in timelines)  # the stand-in runs wrote no log

    printed = table_rows(bench.table(figures) + "\n")
    assert set(printed) == set(by_name)
    assert printed[f"{label}: wall"]["verdict"] == "miss"
    assert printed[f"{label}: peak RSS"]["verdict"] == "hit"


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
