"""Benchmarks of the Sparkify warehouse on DuckDB, measured side by side in one run.

    python scripts/benchmark.py [--events 1000000] [--days 30] [--runs 3] [--profile]
        [--songs N] [--users N] [--skip window|dag-import] [--workdir DIR]
    make benchmark [EVENTS=1000000] [RUNS=3]

Generates data with scripts/generate_sparkify_data.py (--events spread evenly over --days UTC days)
in a temporary folder, measures every figure in fresh processes (wall time; from os.wait4 the CPU
time of the child's process tree and its peak RSS, i.e. its largest process), and prints one
Markdown table of medians over --runs runs: figure, value, floor/baseline, ratio, target, hit/miss.
Targets apply to wall time; CPU time is printed too because, on a machine shared with other work,
it moves far less than wall time.

- full build: `dbt build` of all --days into a fresh DuckDB file, against the bare engine floor: a
  fresh Python process that reads the same event and song files with DuckDB's read_json into two
  tables of a fresh file (build / floor, target <= 2.0). dbt parses once beforehand (untimed), so
  the builds reuse its partial parse, as a second `make build` does.
- hourly window run: `dbt build` with the window vars for 14:00-15:00 of the last day, on the
  warehouse of the full build (--days of history) and on one holding only that day's file (same
  events per day); each has one untimed warm-up window run (Nd / 1d, target <= 1.2).
- DAG import: filling Airflow's DagBag with dags/ in Cosmos' production load mode (dbt_manifest)
  vs the dbt_ls mode, which runs `dbt ls` at parse time (scripts/benchmark_dag_import.py; target:
  the production import <= 1 s).

--profile adds where the time goes: dbt's per-node timings (run_results.json) of the full build
and of both window runs, and DuckDB's JSON profile (EXPLAIN ANALYZE) of the full build's heavy
statements: the floor's read_json and the slowest nodes other than the loads (scripts/benchmark_loader.py
profiles the loader).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
PROJECT_DIR = SCRIPTS.parent
DBT = str(Path(sys.executable).with_name("dbt"))
sys.path.insert(0, str(SCRIPTS))

from benchmark_dag_import import measure as measure_dag_import  # noqa: E402
from benchmark_dag_import import prepared_env as dag_import_env  # noqa: E402
from generate_sparkify_data import Scale, generate  # noqa: E402

TARGETS = {"build / floor": 2.0, "window": 1.2, "dag import": 1.0}
START = date(2018, 11, 1)
HOUR = 14  # the window run loads 14:00-15:00 UTC of the last day
SAFE_PATH = re.compile(r"^/?[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*/?$")

# The floor: one fresh Python process, a fresh DuckDB file, read_json of the same files into tables.
FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create table events as select * from read_json(?, format = 'newline_delimited')", [sys.argv[2]])
con.execute("create table songs as select * from read_json(?, format = 'auto')", [sys.argv[3]])
con.close()
"""

# DuckDB's profile of SQL statements, in a fresh process: reads a JSON spec on stdin
# {"db": path, "setup": [sql], "statements": [{"label", "sql"}]}, prints one JSON line per statement
# "PROFILE {"label", "sql", "seconds", "operators": [[seconds, name, detail], ...]}" (slowest first).
PROFILER = """
import json, os, sys, tempfile, time, duckdb
spec = json.load(sys.stdin)
con = duckdb.connect(spec["db"])
con.execute("set enable_progress_bar = false")
for sql in spec["setup"]:
    con.execute(sql)
out = os.path.join(tempfile.mkdtemp(), "profile.json")
def walk(node, operators):
    info = node.get("extra_info") or {}
    detail = info.get("Table") or info.get("Function") or info.get("Join Type") or ""
    operators.append([node.get("timing", 0.0), node.get("name", "?"), str(detail)])
    for child in node.get("children", []):
        walk(child, operators)
for item in spec["statements"]:
    for statement in duckdb.extract_statements(item["sql"]):
        text = statement.query.strip().rstrip(";").strip()
        if text.lower() in ("begin transaction", "begin", "commit"):
            continue
        if os.path.exists(out):
            os.remove(out)
        con.execute("set enable_profiling = 'json'")
        con.execute(f"set profiling_output = '{out}'")
        started = time.perf_counter()
        con.execute(text).fetchall()
        seconds = time.perf_counter() - started
        con.execute("set enable_profiling = 'no_output'")
        operators = []
        if os.path.exists(out):
            with open(out) as handle:
                for node in json.load(handle).get("operator", []):
                    walk(node, operators)
        operators.sort(reverse=True)
        print("PROFILE " + json.dumps({"label": item["label"], "sql": " ".join(text.split())[:100], "seconds": seconds,
                          "operators": [o for o in operators[:4] if o[0] >= 0.001]}))
"""


@dataclass
class Sample:
    seconds: float
    max_rss_mb: float
    cpu_seconds: float  # user + system time of the process tree: less sensitive to other load than wall time
    run_results: dict | None = None


@dataclass
class Figure:
    name: str
    unit: str
    value: list[float]
    baseline_name: str
    baseline: list[float]
    target: float | None = None
    target_on_value: bool = False  # the target bounds the value itself, not the ratio

    @property
    def median(self) -> float:
        return statistics.median(self.value)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        return self.median / self.baseline_median

    def verdict(self) -> str:
        if self.target is None:
            return "-"
        checked = self.median if self.target_on_value else self.ratio
        return "hit" if checked <= self.target else "miss"


@dataclass
class Run:
    """What one benchmark run measured."""

    figures: list[Figure] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)


def fail(message: str) -> None:
    raise SystemExit(f"benchmark: {message}")


def run_measured(command: list[str], env: dict[str, str], log: Path) -> Sample:
    """Runs a command in a fresh process; wall time, CPU time and the peak RSS of its process tree."""
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        fail(f"{' '.join(command[:2])} exited with {process.returncode} (log {log}):\n{tail}")
    return Sample(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)  # ru_maxrss: KiB on Linux


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARKIFY_", "DBT_", "AIRFLOW"))}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    return env | extra


class Warehouse:
    """One DuckDB file over one data root, with its own dbt target and log folders."""

    def __init__(self, workdir: Path, data_root: Path) -> None:
        self.workdir = workdir
        self.path = workdir / "sparkify.duckdb"
        self.env = child_env(SPARKIFY_DATA_ROOT=str(data_root), SPARKIFY_DUCKDB_PATH=str(self.path))
        workdir.mkdir(parents=True, exist_ok=True)

    def command(self, *args: str, vars: dict | None = None) -> list[str]:
        command = [DBT, *args, "--target-path", str(self.workdir / "target"), "--log-path", str(self.workdir)]
        return command + (["--vars", json.dumps(vars)] if vars else [])

    def dbt(self, *args: str, vars: dict | None = None, log: str = "dbt.out") -> Sample:
        sample = run_measured(self.command(*args, vars=vars), self.env, self.workdir / log)
        results = self.workdir / "target" / "run_results.json"
        if args[0] == "build":
            sample.run_results = json.loads(results.read_text())
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


def measure_build(work: Path, root: Path, runs: int) -> tuple[list[Figure], Warehouse, list[Sample]]:
    """Full build vs the read_json floor, interleaved run by run so load drift hits both alike."""
    build = Warehouse(work / "build", root)
    build.dbt("parse")  # untimed: the timed builds reuse the partial parse
    floor_db = work / "floor" / "floor.duckdb"
    floor_db.parent.mkdir()
    floor_cmd = [
        sys.executable,
        "-c",
        FLOOR,
        str(floor_db),
        str(root / "log_data" / "**" / "*.json"),
        str(root / "song_data" / "**" / "*.json"),
    ]
    builds, floors = [], []
    for i in range(runs):
        floor_db.unlink(missing_ok=True)
        floors.append(run_measured(floor_cmd, child_env(), work / "floor" / f"floor{i}.out"))
        build.drop()
        builds.append(build.dbt("build", log=f"build{i}.out"))
    figures = [
        Figure(
            "full build: wall",
            "s",
            [s.seconds for s in builds],
            "read_json floor",
            [s.seconds for s in floors],
            TARGETS["build / floor"],
        ),
        Figure(
            "full build: CPU time",
            "s",
            [s.cpu_seconds for s in builds],
            "read_json floor",
            [s.cpu_seconds for s in floors],
        ),
        Figure(
            "full build: peak RSS",
            "MiB",
            [s.max_rss_mb for s in builds],
            "read_json floor",
            [s.max_rss_mb for s in floors],
        ),
    ]
    return figures, build, builds


def measure_window(work: Path, one_root: Path, history: Warehouse, days: int, runs: int):
    """One hourly window run on a warehouse with one day of history vs one with all the days."""
    last = START + timedelta(days=days - 1)
    window = {
        "data_interval_start": f"{last}T{HOUR:02d}:00:00+00:00",
        "data_interval_end": f"{last}T{HOUR + 1:02d}:00:00+00:00",
    }
    one = Warehouse(work / "window_1d", one_root)
    one.dbt("build", log="full_build.out")  # untimed: the 1-day warehouse
    for warehouse in (one, history):  # untimed warm-up: dims switch to incremental, vars reparsed
        warehouse.dbt("build", vars=window, log="window_warmup.out")
    small, large = [], []
    for i in range(runs):
        small.append(one.dbt("build", vars=window, log=f"window{i}.out"))
        large.append(history.dbt("build", vars=window, log=f"window{i}.out"))
    label = f"hourly window run, {days} d history"
    figures = [
        Figure(
            f"{label}: wall",
            "s",
            [s.seconds for s in large],
            "1 d history",
            [s.seconds for s in small],
            TARGETS["window"],
        ),
        Figure(
            f"{label}: CPU time",
            "s",
            [s.cpu_seconds for s in large],
            "1 d history",
            [s.cpu_seconds for s in small],
        ),
        Figure(
            f"{label}: dbt node time",
            "s",
            [node_seconds(s.run_results) for s in large],
            "1 d history",
            [node_seconds(s.run_results) for s in small],
        ),
        Figure(
            f"{label}: peak RSS",
            "MiB",
            [s.max_rss_mb for s in large],
            "1 d history",
            [s.max_rss_mb for s in small],
        ),
    ]
    return figures, small, large


def measure_dag_imports(runs: int) -> list[Figure]:
    with dag_import_env() as env:
        manifest = measure_dag_import("dbt_manifest", runs, env)
        dbt_ls = measure_dag_import("dbt_ls", runs, env)
    return [
        Figure(
            "DAG import, dbt_manifest (production)",
            "s",
            manifest,
            "dbt_ls parsing",
            dbt_ls,
            TARGETS["dag import"],
            target_on_value=True,
        )
    ]


def node_seconds(run_results: dict | None) -> float:
    return sum(r["execution_time"] for r in (run_results or {}).get("results", []))


def median_sample(samples: list[Sample]) -> Sample:
    return sorted(samples, key=lambda s: s.seconds)[len(samples) // 2]


def short_id(unique_id: str) -> str:
    kind, _, name = unique_id.split(".", 2)
    return f"{kind} {name.rsplit('.', 1)[0] if kind == 'test' else name}"[:80]


def node_profile(title: str, samples: list[Sample], top: int = 8) -> str:
    sample = median_sample(samples)
    results = sample.run_results or {}
    nodes = sorted(results.get("results", []), key=lambda r: -r["execution_time"])
    elapsed = results.get("elapsed_time", 0.0)
    lines = [
        f"{title} (median run): wall {sample.seconds:.2f} s = dbt startup + parse "
        f"{sample.seconds - elapsed:.2f} s + dbt run {elapsed:.2f} s; {len(nodes)} nodes, sum of node "
        f"times {node_seconds(results):.2f} s. Slowest nodes:"
    ]
    lines += [f"    {r['execution_time']:7.3f} s  {short_id(r['unique_id'])}" for r in nodes[:top]]
    return "\n".join(lines)


def growth_profile(small: list[Sample], large: list[Sample], days: int, top: int = 8) -> str:
    def per_node(samples: list[Sample]) -> dict[str, float]:
        times: dict[str, list[float]] = {}
        for sample in samples:
            for r in (sample.run_results or {}).get("results", []):
                times.setdefault(r["unique_id"], []).append(r["execution_time"])
        return {k: statistics.median(v) for k, v in times.items()}

    one, many = per_node(small), per_node(large)
    growth = sorted(((many[k] - one.get(k, 0.0), k) for k in many), reverse=True)
    lines = [f"Window run, node time with {days} d vs 1 d of history (medians), largest growth first:"]
    lines += [f"    {many[k]:7.3f} s vs {one.get(k, 0.0):7.3f} s  {d:+7.3f} s  {short_id(k)}" for d, k in growth[:top]]
    return "\n".join(lines)


def duckdb_profile(work: Path, root: Path, build: Warehouse, builds: list[Sample], top: int = 3) -> str:
    """DuckDB's profile of the full build's heavy statements, on a copy of the built warehouse."""
    results = median_sample(builds).run_results or {}
    manifest = json.loads((build.workdir / "target" / "manifest.json").read_text())
    loads = {
        "model.sparkify.stg_sparkify__events": "staging_events",
        "model.sparkify.stg_sparkify__songs": "staging_songs",
    }
    nodes = []  # the slowest nodes other than the loads, with their compiled SQL (full build)
    for r in sorted(results.get("results", []), key=lambda r: -r["execution_time"]):
        node = manifest["nodes"].get(r["unique_id"])
        if r["unique_id"] in loads or not node or not node.get("compiled_path") or len(nodes) == top:
            continue
        sql = (PROJECT_DIR / node["compiled_path"]).read_text()  # compiled_path may be absolute
        if node["resource_type"] == "model":
            sql = f"create temp table profiled_{node['name']} as {sql}"
        nodes.append({"label": short_id(r["unique_id"]), "sql": sql})
    statements = [
        {
            "label": "floor: read_json of the event files",
            "sql": f"create temp table floor_events as select * from read_json('{root}/log_data/**/*.json', "
            "format = 'newline_delimited')",
        }
    ]
    # What a load that lets read_json type the declared columns directly would cost (for comparison).
    source = manifest["sources"]["source.sparkify.sparkify.staging_events"]
    typed = ", ".join(
        f"'{c['meta']['json_key']}': '{c['data_type']}'"
        for c in source["columns"].values()
        if c["meta"].get("json_key")
    )
    statements.append(
        {
            "label": "reference: read_json of the event files, declared columns typed",
            "sql": f"create temp table typed_events as select * from read_json('{root}/log_data/**/*.json', "
            f"format = 'newline_delimited', columns = {{{typed}}})",
        }
    )
    # The loads are not replayed here: the DuckDB loader parses in its own queries while dbt renders
    # the pre-hook (temp tables of that session), so its time is in the staging nodes' timings above;
    # scripts/benchmark_loader.py profiles the loader against read_json on its own.
    statements += nodes
    copy = work / "profile" / build.path.name
    copy.parent.mkdir()
    shutil.copy(build.path, copy)
    spec = {
        "db": str(copy),
        "setup": [],
        "statements": statements,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROFILER], input=json.dumps(spec), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        fail(f"DuckDB profile failed:\n{done.stderr[-3000:]}")
    lines = ["DuckDB profile of the full build's heavy statements (a fresh process, slowest operators):"]
    for line in done.stdout.splitlines():
        if not line.startswith("PROFILE "):
            continue
        item = json.loads(line.removeprefix("PROFILE "))
        lines.append(f"  {item['seconds']:7.3f} s  {item['label']}: {item['sql']}")
        lines += [f"      {t:7.3f} s  {name} {detail}".rstrip() for t, name, detail in item["operators"]]
    return "\n".join(lines)


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    os_release = Path("/etc/os-release")
    os_name = (
        re.search(r'PRETTY_NAME="([^"]+)"', os_release.read_text()).group(1)
        if os_release.exists()
        else platform.system()
    )
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("duckdb", "dbt-core", "dbt-duckdb", "apache-airflow", "astronomer-cosmos")
    )
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores; RAM {mem_kib / 1024**2:.1f} GiB",
        f"OS: {os_name}, kernel {platform.release()}; Python {platform.python_version()}",
        f"Packages: {versions}",
    ]


def fmt(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if unit == "MiB" else f"{value:.2f} {unit}"


def table(figures: list[Figure]) -> str:
    rows = [
        "| figure | value | floor / baseline | ratio | target | hit/miss |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for f in figures:
        if f.target is None:
            target = "-"
        elif f.target_on_value:
            target = f"≤ {f.target:g} {f.unit}"
        else:
            target = f"≤ {f.target:g}"
        rows.append(
            f"| {f.name} | {fmt(f.median, f.unit)} | {f.baseline_name}: {fmt(f.baseline_median, f.unit)} "
            f"| {f.ratio:.2f} | {target} | {f.verdict()} |"
        )
    return "\n".join(rows)


def samples_text(figures: list[Figure]) -> str:
    def values(xs: list[float], unit: str) -> str:
        return ", ".join(fmt(x, unit).removesuffix(f" {unit}") for x in xs)

    return "\n".join(
        f"- {f.name}: {values(f.value, f.unit)} {f.unit}; {f.baseline_name}: {values(f.baseline, f.unit)} {f.unit}"
        for f in figures
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events of the full build (default 1,000,000)")
    parser.add_argument("--days", type=int, default=30, help="UTC days the events span (default 30)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure; medians (default 3)")
    parser.add_argument("--songs", type=int, default=2000, help="catalogue size (default 2000)")
    parser.add_argument("--users", type=int, help="users (default events / 2000, at least 50)")
    parser.add_argument("--skip", action="append", choices=["window", "dag-import"], default=[])
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument("--workdir", type=Path, help="keep data and warehouses here (default: a temp dir, removed)")
    args = parser.parse_args(argv)
    for name, minimum in (("events", 1), ("days", 2), ("runs", 1), ("songs", 1), ("users", 1)):
        value = getattr(args, name)
        if value is not None and value < minimum:
            parser.error(f"--{name} {value}: expected a whole number >= {minimum}")
    if args.events < args.days:
        parser.error(f"--events {args.events}: expected at least one event per day (--days {args.days})")
    if args.users is None:
        args.users = max(50, args.events // 2000)
    if args.workdir is not None:
        if not SAFE_PATH.match(str(args.workdir)) or ".." in args.workdir.parts:
            parser.error(f"--workdir {args.workdir}: expected a path made of letters, digits and _ . = - /")
        if args.workdir.exists() and any(args.workdir.iterdir()):
            parser.error(f"--workdir {args.workdir}: expected a new or empty folder")
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
    figures, build, builds = measure_build(work, root, args.runs)
    run.figures += figures
    print(f"Full build and floor measured ({args.runs} runs each)", flush=True)
    if args.profile:  # before the window runs: target/ still holds the full build's compiled SQL
        run.profiles += [node_profile("Full build", builds), duckdb_profile(work, root, build, builds)]
    if "window" not in args.skip:
        one_root = work / "data_1d"
        one_day_root(root, one_root, START + timedelta(days=args.days - 1))
        figures, small, large = measure_window(work, one_root, build, args.days, args.runs)
        run.figures += figures
        print(f"Window runs measured ({args.runs} runs each)", flush=True)
        if args.profile:
            run.profiles += [
                node_profile(f"Window run, {args.days} d history", large),
                node_profile("Window run, 1 d history", small),
                growth_profile(small, large, args.days),
            ]
    if "dag-import" not in args.skip:
        run.figures += measure_dag_imports(args.runs)
        print(f"DAG import measured ({args.runs} runs per mode)", flush=True)
    return run


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print("Sparkify benchmarks on DuckDB")
    print("\n".join(machine()))
    print(f"Load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run = benchmark(args, args.workdir.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="sparkify-bench-") as work:
            run = benchmark(args, Path(work))
    print(f"Load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
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
