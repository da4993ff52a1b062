"""Long reliability check (issue 6): every hourly window of November 2018, each run twice (an Airflow
retry), then the warehouse compared table by table with one full load of the same data.

    python scripts/reliability_hours.py [--first-day 2018-11-01] [--last-day 2018-11-30]
        [--attempts 2] [--shuffle-days SEED] [--workdir DIR]

Runs pass the window vars as the hourly DAG does and build its models and seed, on a DuckDB file,
over the bundled sample (only the chosen days). After each retry the tables must be exactly as
after the first attempt. At the end: per table, rows of the hourly warehouse and of the full load,
duplicate keys, identical or not (every row compared, load times left out). Exit 0 when everything
is identical, 1 on any difference or failed run. --shuffle-days runs the days in a shuffled order
(hours within a day in order): a backfill in any order must give the same tables.
The test suite runs the CI-sized variants (tests/pytest/test_reliability.py).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pytest"))

from conftest import ALL_TABLES, Warehouse
from reliability import (
    duplicate_keys,
    hour_windows,
    relations,
    run_build,
    run_window,
    sample_days,
    sample_subset,
    snapshot_differences,
)


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


def check(workdir: Path, days: list[str], attempts: int) -> bool:
    root = str(sample_subset(workdir / "data", days))
    print(f"full load of {len(days)} days ...", flush=True)
    (workdir / "full").mkdir()
    full = Warehouse(workdir / "full")
    run_build(full, {"data_root": root}, "full load")

    (workdir / "hourly").mkdir()
    hourly = Warehouse(workdir / "hourly")
    timings: list[float] = []
    changed_by_retry: list[str] = []
    for day in days:
        day_started = time.monotonic()
        for start, end in hour_windows(day):
            for attempt in range(1, attempts + 1):
                started = time.monotonic()
                run_window(hourly, start, end, data_root=root)
                timings.append(time.monotonic() - started)
                after = hourly.snapshot()
                if attempt == 1:
                    first = after
                elif differences := snapshot_differences(after, first):
                    changed_by_retry.append(f"{start:%Y-%m-%d %H}:00 attempt {attempt}: {differences}")
        print(
            f"{day}: {24 * attempts} runs ok in {duration(time.monotonic() - day_started)}, "
            f"retries that changed the tables so far: {len(changed_by_retry)}",
            flush=True,
        )

    expected, actual = full.snapshot(), hourly.snapshot()
    differences = snapshot_differences(actual, expected)
    duplicates = duplicate_keys(hourly)
    extra_relations = sorted(set(relations(hourly)) ^ set(relations(full)))
    print(f"\n{'table':<16}{'hourly rows':>12}{'full load':>12}{'dup keys':>10}  identical")
    for table in ALL_TABLES:
        rows = f"{len(actual[table]):>12,}{len(expected[table]):>12,}"
        print(f"{table:<16}{rows}{duplicates.get(table, 0):>10}  {'NO' if table in differences else 'yes'}")
    for table, difference in differences.items():
        print(f"  {table}: {difference}")
    for change in changed_by_retry:
        print(f"  retry changed the tables: {change}")
    if extra_relations:
        print(f"  relations in only one warehouse: {extra_relations}")
    print(
        f"\n{len(timings)} window runs: mean {statistics.mean(timings):.1f} s, "
        f"median {statistics.median(timings):.1f} s, max {max(timings):.1f} s per dbt build"
    )
    return not (differences or duplicates or changed_by_retry or extra_relations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2018, 11, 1))
    parser.add_argument("--last-day", type=date.fromisoformat, default=date(2018, 11, 30))
    parser.add_argument("--attempts", type=int, default=2, help="runs of each hourly window (default 2)")
    parser.add_argument("--shuffle-days", type=int, metavar="SEED", help="run the days in a shuffled order")
    parser.add_argument("--workdir", type=Path, help="keep the warehouses here (default: a temporary folder)")
    args = parser.parse_args()
    if args.last_day < args.first_day or args.attempts < 1:
        parser.error("expected --first-day <= --last-day and --attempts >= 1")
    wanted = {str(args.first_day + timedelta(days=i)) for i in range((args.last_day - args.first_day).days + 1)}
    days = [day for day in sample_days() if day in wanted]
    if missing := sorted(wanted - set(days)):
        parser.error(f"no event file in the sample for {', '.join(missing)}")
    if args.shuffle_days is not None:
        random.Random(args.shuffle_days).shuffle(days)
    print(
        f"reliability_hours: {24 * len(days)} hourly windows x {args.attempts} runs = "
        f"{24 * len(days) * args.attempts} dbt builds, days {min(days)} .. {max(days)}"
        f"{f' (shuffled, seed {args.shuffle_days})' if args.shuffle_days is not None else ''}",
        flush=True,
    )
    started = time.monotonic()
    try:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=False)
            identical = check(args.workdir, days, args.attempts)
        else:
            with tempfile.TemporaryDirectory(prefix="reliability_hours_") as workdir:
                identical = check(Path(workdir), days, args.attempts)
    except AssertionError as failure:  # a dbt run failed: run_build/run_window say which and why
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    print(f"total {duration(time.monotonic() - started)}")
    print("RESULT: every table identical to the full load, no duplicate key" if identical else "RESULT: DIFFERENT")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
