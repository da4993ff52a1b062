"""Benchmark: the DuckDB events loader (copy_json with line-level rejections) against one read_json.

    python benchmarks/benchmark_loader.py [ROOT] [--events 1000000] [--runs 3] [--baseline DIR] [--worst-case]

ROOT is a data root in the S3 layout; without it, scripts/generate_sparkify_data.py writes one of
about --events events (30 day files) to a temporary folder. Each run, alternating:
  floor  - a fresh DuckDB file, `create table … as select * from read_json(<every event file>,
           format='newline_delimited')`: DuckDB's own JSON reader, no rejection handling;
  loader - a fresh DuckDB file, `dbt run --select stg_sparkify__events` in full mode: the model's
           execution time from run_results.json (the copy_json pre-hook: parse, classify, reject,
           replace the partition and the rejections), without dbt's start-up and parse.
Prints the median, min and max of each and the loader/floor ratio; checks both loaded every event.

--baseline DIR also measures the loader of another checkout of this project (say, the commit before a
loader change), interleaved with the others. --worst-case adds the loaders on a copy of ROOT with one
truncated line in the middle of every day file (each loader must reject exactly those lines): the case
where no file can take the fast path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def floor(root: Path, workdir: Path) -> tuple[float, int]:
    path = workdir / "floor.duckdb"
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        started = time.perf_counter()
        con.execute(
            f"create table events as select * from read_json('{root}/log_data/**/*.json', format = 'newline_delimited')"
        )
        seconds = time.perf_counter() - started
        rows = con.execute("select count(*) from events").fetchone()[0]
    return seconds, rows


def loader(root: Path, workdir: Path, project: Path = PROJECT_DIR, rejections: int = 0) -> tuple[float, int]:
    path = workdir / "loader.duckdb"
    path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(project),
        "SPARKIFY_DUCKDB_PATH": str(path),
    }
    target = workdir / "target"
    command = [str(BIN / "dbt"), "run", "--select", "stg_sparkify__events"]
    command += ["--vars", json.dumps({"data_root": str(root)})]
    command += ["--target-path", str(target), "--log-path", str(workdir / "logs")]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"dbt run failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    seconds = next(r["execution_time"] for r in results if r["unique_id"] == "model.sparkify.stg_sparkify__events")
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select count(*) from staging_events").fetchone()[0]
        rejected = con.execute("select count(*) from load_errors").fetchone()[0]
    if rejected != rejections:
        raise SystemExit(f"the loader of {project} rejected {rejected} lines, expected {rejections}")
    return seconds, rows


def worst_case_root(root: Path, workdir: Path) -> tuple[Path, int]:
    """A copy of root whose every day file holds one truncated line in its middle; and their count."""
    worst = workdir / "worst"
    shutil.copytree(root, worst)
    files = sorted((worst / "log_data").rglob("*.json"))
    for path in files:
        lines = path.read_bytes().split(b"\n")
        middle = len(lines) // 2
        lines.insert(middle, lines[middle][:60])
        path.write_bytes(b"\n".join(lines))
    return worst, len(files)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout of this project: its loader too")
    parser.add_argument("--worst-case", action="store_true", help="also one bad line in every day file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sparkify-loader-bench-") as tmp:
        workdir = Path(tmp)
        root = args.root
        if root is None:
            root = workdir / "data"
            per_day = -(-args.events // 30)
            generator = [sys.executable, str(PROJECT_DIR / "scripts" / "generate_sparkify_data.py"), str(root)]
            subprocess.run(
                [*generator, "--days", "30", "--events-per-day", str(per_day), "--songs", "2000", "--users", "500"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        root = root.resolve()
        size = sum(p.stat().st_size for p in (root / "log_data").rglob("*.json"))
        cases = {"floor": lambda: floor(root, workdir), "loader": lambda: loader(root, workdir)}
        if args.baseline:
            cases["baseline"] = lambda: loader(root, workdir, args.baseline.resolve())
        if args.worst_case:
            worst, bad_lines = worst_case_root(root, workdir)
            cases["worst"] = lambda: loader(worst, workdir, rejections=bad_lines)
            if args.baseline:
                cases["worst baseline"] = lambda: loader(worst, workdir, args.baseline.resolve(), bad_lines)
        timings: dict[str, list[float]] = {name: [] for name in cases}
        counts: set[int] = set()
        for _ in range(args.runs):
            for name, measure in cases.items():
                seconds, rows = measure()
                timings[name].append(seconds)
                if not name.startswith("worst"):
                    counts.add(rows)
        if len(counts) != 1:
            raise SystemExit(f"row counts differ: {counts}")
        print(f"events: {counts.pop():,} in {size / 1e6:.0f} MB, {args.runs} runs, {os.cpu_count()} CPUs")
        print(f"{'':16} {'median':>8} {'min':>8} {'max':>8}")
        for name, values in timings.items():
            print(f"{name:16} {statistics.median(values):8.2f} {min(values):8.2f} {max(values):8.2f}  s")
        medians = {name: statistics.median(values) for name, values in timings.items()}
        print(f"loader/floor (medians): {medians['loader'] / medians['floor']:.2f}")
        for name, base in (("loader", "baseline"), ("worst", "worst baseline")):
            if base in medians:
                print(f"{name}/{base} (medians): {medians[name] / medians[base]:.2f}")


if __name__ == "__main__":
    main()
