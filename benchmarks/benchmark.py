"""Benchmarks of the Sparkify warehouse on DuckDB, measured side by side in one run.

    python benchmarks/benchmark.py [--events 1000000] [--days 30] [--runs 3] [--profile]
        [--songs N] [--users N] [--warmups 1] [--skip dag|dag-local|dag-import|report] [--workdir DIR]
    make benchmark [EVENTS=1000000] [RUNS=3]

Generates data with scripts/generate_sparkify_data.py (--events spread evenly over --days UTC days)
in a temporary folder, measures every figure in fresh processes (wall time; from os.wait4 the CPU
time of the child's process tree and its peak RSS, i.e. its largest process), interleaving the
runs of a figure and its baseline, and prints one Markdown table of medians over --runs runs:
figure, value, floor/baseline, ratio, target, hit/miss. The load average is printed before and
after each figure: on a shared machine wall time moves with it, CPU time far less.

- full build: `dbt build` of all --days into a fresh DuckDB file, against the bare engine floor: a
  fresh Python process that reads the same event and song files with DuckDB's read_json into two
  tables of a fresh file (target build / floor <= 3.0 below 5M events, <= 1.5 from 5M; peak RSS
  <= 2 GiB). dbt parses once beforehand (untimed), so the builds reuse its partial parse.
- hourly DAG run: `airflow dags test sparkify_hourly` for 14:00-15:00 of the last day, dbt as a
  subprocess as on MWAA (each dbt process is counted):
  - watcher (one `dbt build` per layer) against local (one dbt process per node), on the warehouse
    of the full build (target watcher / local <= 0.5, i.e. 2x faster); --skip dag-local leaves the
    local runs out (the slowest: one dbt process per node) and counts the watcher's dbt processes
    against the 1-day run's instead;
  - with --days of history against a warehouse holding only that day's file (same events per day;
    target <= 1.10; peak RSS <= 1 GiB).
  Each warehouse and mode has --warmups untimed runs first (default 1) and its own Cosmos cache, as
  an hourly deployment has: dbt's partial parse is warm.
- report: `python -m sparkify_report` (what `make report` runs after the time spines) on the full build's
  warehouse, against `dbt docs generate` on the same warehouse (target report / docs <= 2.0).
- DAG import: filling Airflow's DagBag with dags/ in Cosmos' production load mode (dbt_manifest)
  vs the dbt_ls mode, which runs `dbt ls` at parse time (benchmarks/benchmark_dag_import.py; target:
  the production import <= 1 s).

--profile adds where the time goes (benchmarks/benchmark_profile.py): dbt's per-node timings of the
full build and of a window `dbt build` with --days vs 1 day of history, and DuckDB's profile of the
full build's heavy statements.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import textwrap
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
DBT = str(Path(sys.executable).with_name("dbt"))
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
sys.path[:0] = [str(BENCHMARKS), str(BENCHMARKS.parent / "scripts")]  # the generator is a user tool

from benchmark_common import (  # noqa: E402
    PROJECT_DIR,
    SAFE_PATH,
    Figure,
    Sample,
    check_workdir,
    child_env,
    fail,
    in_workdir,
    load_average,
    machine,
    run_measured,
    samples_text,
    table,
)
from benchmark_dag_import import measure as measure_dag_import  # noqa: E402
from benchmark_dag_import import prepared_env as airflow_home  # noqa: E402
from benchmark_profile import dag_timeline, duckdb_profile, growth_profile, node_profile  # noqa: E402
from generate_sparkify_data import Scale, generate  # noqa: E402

LARGE_EVENTS = 5_000_000  # from here on the full build's fixed costs (dbt start, parse) are small
TARGETS = {
    "build / floor": 3.0,
    "build / floor, large": 2.0,
    "build RSS MiB": 1536.0,
    "events load / read_json": 2.0,
    "watcher / local": 0.5,
    "history": 1.10,
    "hourly RSS MiB": 1024.0,
    "dag import": 1.0,
    "report / docs": 2.0,
}
START = date(2018, 11, 1)
HOUR = 14  # the hourly run loads 14:00-15:00 UTC of the last day

# The floor: one fresh Python process, a fresh DuckDB file, read_json of the same files into tables.
FLOOR = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
started = time.perf_counter()
con.execute("create table events as select * from read_json(?, format = 'newline_delimited')", [sys.argv[2]])
print(f"events: {time.perf_counter() - started:.3f} s")
con.execute("create table songs as select * from read_json(?, format = 'auto')", [sys.argv[3]])
con.close()
"""
EVENTS_MODEL = "model.sparkify.stg_sparkify__events"  # its pre-hook is the events load (copy_json)


@dataclass
class Run:
    """What one benchmark run measured."""

    figures: list[Figure] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)


class Warehouse:
    """One DuckDB file over one data root, with its own dbt target, log and Cosmos cache folders."""

    def __init__(self, workdir: Path, data_root: Path) -> None:
        self.workdir = workdir
        self.path = workdir / "sparkify.duckdb"
        self.settings = {"SPARKIFY_DATA_ROOT": str(data_root), "SPARKIFY_DUCKDB_PATH": str(self.path)}
        workdir.mkdir(parents=True, exist_ok=True)

    def dbt(self, *args: str, vars: dict | None = None, log: str = "dbt.out") -> Sample:
        command = [DBT, *args, "--target-path", str(self.workdir / "target"), "--log-path", str(self.workdir)]
        command += ["--vars", json.dumps(vars)] if vars else []
        sample = run_measured(command, child_env(**self.settings), self.workdir / log)
        if args[0] == "build":
            sample.run_results = json.loads((self.workdir / "target" / "run_results.json").read_text())
        return sample

    def dag_run(self, home_env: dict[str, str], mode: str, logical_date: str, log: str) -> Sample:
        """`airflow dags test` of one hour in execution mode `mode`, dbt as a subprocess (as on MWAA)."""
        env = home_env | self.settings
        env |= {
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
            "AIRFLOW__COSMOS__CACHE_DIR": str(self.workdir / f"cosmos_cache_{mode}"),
            "SPARKIFY_EXECUTION_MODE": mode,
            "SPARKIFY_DBT_EXECUTABLE": DBT,
            "SPARKIFY_WATCHER_CONSUMERS": "dags_test",  # dags test runs triggers inline (docs/airflow.md)
        }
        sample = run_measured([AIRFLOW, "dags", "test", "sparkify_hourly", logical_date], env, self.workdir / log)
        text = (self.workdir / log).read_text(errors="replace")
        finished = [line for line in text.splitlines() if "DagRun Finished: dag_id=sparkify_hourly" in line]
        if len(finished) != 1 or ", state=success," not in finished[0]:
            fail(f"the DAG run in {self.workdir / log} did not succeed")
        sample.dbt_processes = text.count("Running with dbt=")
        return sample

    def drop(self) -> None:
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            path.unlink(missing_ok=True)


def generate_data(root: Path, args: argparse.Namespace) -> dict[str, int]:
    scale = Scale(
        songs=args.songs,
        users=args.users,
        days=args.days,
        events_per_day=math.ceil(args.events / args.days),
        start=START,
    )
    return generate(str(root), scale)


def one_day_root(full: Path, one: Path, day: date) -> None:
    """The same catalogue and JSONPaths file, and only the given day's event file."""
    shutil.copytree(full / "song_data", one / "song_data")
    shutil.copy(full / "log_json_path.json", one / "log_json_path.json")
    key = Path("log_data") / f"{day:%Y/%m/%Y-%m-%d}-events.json"
    (one / key).parent.mkdir(parents=True)
    shutil.copy(full / key, one / key)


def seconds(samples: list[Sample]) -> list[float]:
    return [s.seconds for s in samples]


def cpu(samples: list[Sample]) -> list[float]:
    return [s.cpu_seconds for s in samples]


def rss(samples: list[Sample]) -> list[float]:
    return [s.max_rss_mb for s in samples]


def processes(samples: list[Sample]) -> list[float]:
    return [s.dbt_processes for s in samples]


def model_seconds(build: Sample, unique_id: str) -> float:
    """One node's execution time in a build (for the events model: its pre-hook, the load, and its SQL)."""
    return next(r["execution_time"] for r in build.run_results["results"] if r["unique_id"] == unique_id)


def figure_full_build(work: Path, root: Path, build: Warehouse, runs: int, events: int) -> tuple[list[Figure], list]:
    """Full build vs the read_json floor, interleaved run by run so load drift hits both alike."""
    build.dbt("parse")  # untimed: the timed builds reuse the partial parse
    floor_db = work / "floor" / "floor.duckdb"
    floor_db.parent.mkdir()
    files = [str(root / "log_data" / "**" / "*.json"), str(root / "song_data" / "**" / "*.json")]
    builds, floors = [], []
    for i in range(runs):
        floor_db.unlink(missing_ok=True)
        floors.append(
            run_measured(
                [sys.executable, "-c", FLOOR, str(floor_db), *files], child_env(), floor_db.with_suffix(f".{i}.out")
            )
        )
        build.drop()
        builds.append(build.dbt("build", log=f"build{i}.out"))
    ratio_target = TARGETS["build / floor, large" if events >= LARGE_EVENTS else "build / floor"]
    rss_target = TARGETS["build RSS MiB"]
    loads = [model_seconds(b, EVENTS_MODEL) for b in builds]
    reads = [float(re.search(r"^events: ([0-9.]+) s$", f.log.read_text(), re.M).group(1)) for f in floors]
    figures = [
        Figure(
            "events load (copy_json and the staging model)",
            "s",
            loads,
            "read_json of the events",
            reads,
            TARGETS["events load / read_json"],
        ),
        Figure("full build: wall", "s", seconds(builds), "read_json floor", seconds(floors), ratio_target),
        Figure("full build: CPU time", "s", cpu(builds), "read_json floor", cpu(floors)),
        Figure("full build: peak RSS", "MiB", rss(builds), "read_json floor", rss(floors), rss_target, True),
    ]
    return figures, builds


def figure_dag_runs(
    history: Warehouse, one_day: Warehouse, days: int, runs: int, warmups: int, local: bool = True
) -> tuple[list[str], list[Figure]]:
    """The hourly DAG run: watcher vs local on the history warehouse (unless not local), and history vs one
    day (watcher)."""
    last = START + timedelta(days=days - 1)
    logical_date = f"{last}T{HOUR + 1:02d}:00:00+00:00"
    one_day.dbt("build", log="full_build.out")  # untimed: the 1-day warehouse
    cases = {"watcher": (history, "watcher"), "local": (history, "local"), "1 d": (one_day, "watcher")}
    if not local:
        del cases["local"]
    samples: dict[str, list[Sample]] = {name: [] for name in cases}
    with airflow_home() as home_env:
        for i in range(warmups):  # untimed: dbt's partial parse cached, the tables incremental
            for warehouse, mode in cases.values():
                warehouse.dag_run(home_env, mode, logical_date, f"dag_warmup_{mode}{i}.out")
        for i in range(runs):
            for name, (warehouse, mode) in cases.items():
                samples[name].append(warehouse.dag_run(home_env, mode, logical_date, f"dag_{mode}{i}.out"))

    watcher, one = samples["watcher"], samples["1 d"]
    label = f"hourly DAG run, {days} d history"
    timelines = [dag_timeline(f"{label}, watcher", watcher), dag_timeline("hourly DAG run, 1 d history, watcher", one)]
    figures = [Figure(f"{label}: dbt processes", "processes", processes(watcher), "1 d history", processes(one))]
    if local:
        base = samples["local"]
        timelines.insert(1, dag_timeline(f"{label}, local", base))
        target = TARGETS["watcher / local"]
        figures = [
            Figure(f"{label}, watcher: wall", "s", seconds(watcher), "local", seconds(base), target),
            Figure(f"{label}, watcher: dbt processes", "processes", processes(watcher), "local", processes(base)),
            Figure(f"{label}, watcher: CPU time", "s", cpu(watcher), "local", cpu(base)),
            Figure(f"{label}, watcher: peak RSS", "MiB", rss(watcher), "local", rss(base)),
        ]
    return timelines, [
        *figures,
        Figure(f"{label}: wall", "s", seconds(watcher), "1 d history", seconds(one), TARGETS["history"]),
        Figure(f"{label}: CPU time", "s", cpu(watcher), "1 d history", cpu(one)),
        Figure(f"{label}: peak RSS", "MiB", rss(watcher), "1 d history", rss(one), TARGETS["hourly RSS MiB"], True),
    ]


def window_profiles(history: Warehouse, one_day: Warehouse, days: int, runs: int) -> list[str]:
    """dbt's node timings of a window `dbt build` of the last day's hour, with days vs 1 day of history."""
    last = START + timedelta(days=days - 1)
    window = {
        "data_interval_start": f"{last}T{HOUR:02d}:00:00+00:00",
        "data_interval_end": f"{last}T{HOUR + 1:02d}:00:00+00:00",
    }
    small, large = [], []
    for i in range(runs):
        small.append(one_day.dbt("build", vars=window, log=f"window{i}.out"))
        large.append(history.dbt("build", vars=window, log=f"window{i}.out"))
    return [
        node_profile(f"Window dbt build, {days} d history", large),
        node_profile("Window dbt build, 1 d history", small),
        growth_profile(small, large, days),
    ]


def figure_report(build: Warehouse, runs: int) -> list[Figure]:
    """The report against dbt docs generate on the full build's warehouse, interleaved run by run."""
    reports, docs = [], []
    for i in range(runs):
        docs.append(build.dbt("docs", "generate", log=f"docs{i}.out"))
        command = [sys.executable, "-m", "sparkify_report", "--project-dir", str(PROJECT_DIR)]
        command += ["--target-path", str(build.workdir / "report_target"), "--out", str(build.workdir / "report.html")]
        env = child_env(**build.settings, DBT_LOG_PATH=str(build.workdir), PYTHONPATH=str(PROJECT_DIR))
        reports.append(run_measured(command, env, build.workdir / f"report{i}.out"))
    target = TARGETS["report / docs"]
    return [
        Figure("report: wall", "s", seconds(reports), "dbt docs generate", seconds(docs), target),
        Figure("report: peak RSS", "MiB", rss(reports), "dbt docs generate", rss(docs)),
    ]


def figure_dag_import(runs: int) -> list[Figure]:
    with airflow_home() as env:
        manifest = measure_dag_import("dbt_manifest", runs, env)
        dbt_ls = measure_dag_import("dbt_ls", runs, env)
    target = TARGETS["dag import"]
    return [Figure("DAG import, dbt_manifest (production)", "s", manifest, "dbt_ls parsing", dbt_ls, target, True)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events of the full build (default 1,000,000)")
    parser.add_argument("--days", type=int, default=30, help="UTC days the events span (default 30)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure; medians (default 3)")
    parser.add_argument("--songs", type=int, default=2000, help="catalogue size (default 2000)")
    parser.add_argument("--users", type=int, help="users (default events / 2000, at least 50)")
    parser.add_argument("--warmups", type=int, default=1, help="untimed DAG runs before the timed ones (default 1)")
    parser.add_argument("--skip", action="append", choices=["dag", "dag-local", "dag-import", "report"], default=[])
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument("--workdir", type=Path, help="keep data and warehouses here (default: a temp dir, removed)")
    args = parser.parse_args(argv)
    for name, minimum in (("events", 1), ("days", 2), ("runs", 1), ("songs", 1), ("users", 1), ("warmups", 0)):
        value = getattr(args, name)
        if value is not None and value < minimum:
            parser.error(f"--{name} {value}: expected a whole number >= {minimum}")
    if args.events < args.days:
        parser.error(f"--events {args.events}: expected at least one event per day (--days {args.days})")
    if args.users is None:
        args.users = max(50, args.events // 2000)
    check_workdir(parser, args.workdir)
    return args


def benchmark(args: argparse.Namespace, work: Path) -> Run:
    if not SAFE_PATH.match(str(work)):
        fail(f"work folder {work}: expected a path made of letters, digits and _ . = - / (set TMPDIR or --workdir)")
    run = Run()
    root = work / "data"
    started = time.perf_counter()
    counts = generate_data(root, args)
    print(
        f"Generated {counts['events']:,} events ({counts['plays']:,} plays) over {counts['days']} days, "
        f"{counts['songs']:,} songs, {args.users:,} users in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    history = Warehouse(work / "build", root)
    print(f"Full build and floor: load average {load_average()}", flush=True)
    figures, builds = figure_full_build(work, root, history, args.runs, args.events)
    run.figures += figures
    if args.profile:  # before the window runs: target/ still holds the full build's compiled SQL
        run.profiles += [
            node_profile("Full build", builds),
            duckdb_profile(work, root, history.workdir, history.path, builds),
        ]
    if "report" not in args.skip:  # before the window runs: the warehouse holds the full build
        print(f"Report and docs: load average {load_average()}", flush=True)
        run.figures += figure_report(history, args.runs)
    one_root = work / "data_1d"
    one_day_root(root, one_root, START + timedelta(days=args.days - 1))
    one_day = Warehouse(work / "one_day", one_root)
    if "dag" not in args.skip:
        print(f"Hourly DAG runs: load average {load_average()}", flush=True)
        local = "dag-local" not in args.skip
        timelines, figures = figure_dag_runs(history, one_day, args.days, args.runs, args.warmups, local)
        run.figures += figures
        if args.profile:
            run.profiles += timelines
    if args.profile:
        if not one_day.path.exists():
            one_day.dbt("build", log="full_build.out")
        run.profiles += window_profiles(history, one_day, args.days, args.runs)
    if "dag-import" not in args.skip:
        print(f"DAG import: load average {load_average()}", flush=True)
        run.figures += figure_dag_import(args.runs)
    return run


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print("Sparkify benchmarks on DuckDB")
    print("\n".join(machine()))
    print(f"Load average at start: {load_average()}", flush=True)
    run = in_workdir(args.workdir, "sparkify-bench-", lambda work: benchmark(args, work))
    print(f"Load average at end: {load_average()}")
    print()
    print(
        f"{args.events:,} events over {args.days} days ({math.ceil(args.events / args.days):,} a day); medians of "
        f"{args.runs} fresh-process runs (peak RSS: the child's largest process)"
    )
    print()
    print(table(run.figures))
    print()
    print("Samples:")
    print(samples_text(run.figures))
    for profile in run.profiles:
        print()
        print(textwrap.dedent(profile))


if __name__ == "__main__":
    main()
