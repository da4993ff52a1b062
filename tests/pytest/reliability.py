"""Helpers of the reliability checks (test_reliability.py and scripts/reliability_hours.py).

Window runs as the hourly DAG makes them, the key of every table a run writes, and a table-by-table
comparison of two Warehouse.snapshot()s that says which rows differ.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from conftest import HOURLY_SELECTION, SAMPLE_ROOT, STAR_TABLES, DbtResult, Warehouse

# The key of every table a run writes: no retry, re-run or crash may ever duplicate one.
KEYS = {"staging_events": "session_id, item_in_session", "staging_songs": "song_id", **STAR_TABLES}
# A run of the hourly DAG's models and seed. dbt's tests are left out: each check here compares every table
# with a clean run, which is stricter than the data tests, and a build costs ~25% less CPU without them.
BUILD = ("build", "--exclude-resource-type", "test", *HOURLY_SELECTION)


def sample_days() -> list[str]:
    """The UTC days (YYYY-MM-DD) that have an event file in the bundled sample."""
    return sorted(p.name.removesuffix("-events.json") for p in (SAMPLE_ROOT / "log_data").rglob("*-events.json"))


def sample_subset(dest: Path, days: list[str]) -> Path:
    """A data root holding the sample's catalogue and JSONPaths file but only these event days."""
    shutil.copytree(SAMPLE_ROOT / "song_data", dest / "song_data")
    shutil.copy(SAMPLE_ROOT / "log_json_path.json", dest / "log_json_path.json")
    for day in days:
        source = SAMPLE_ROOT / "log_data" / day[:4] / day[5:7] / f"{day}-events.json"
        target = dest / source.relative_to(SAMPLE_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return dest


def day_window(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(day), datetime.min.time())
    return start, start + timedelta(days=1)


def hour_windows(day: str) -> list[tuple[datetime, datetime]]:
    start, _ = day_window(day)
    return [(start + timedelta(hours=h), start + timedelta(hours=h + 1)) for h in range(24)]


def window_vars(start: datetime, end: datetime, **extra) -> dict:
    """The vars the DAG passes for a data interval (ISO-8601, UTC)."""
    return {
        "data_interval_start": f"{start:%Y-%m-%dT%H:%M:%S}+00:00",
        "data_interval_end": f"{end:%Y-%m-%dT%H:%M:%S}+00:00",
        **extra,
    }


def run_build(warehouse: Warehouse, vars: dict, what: str) -> DbtResult:
    """One dbt build of the models and seed; raises with dbt's output when it fails."""
    result = warehouse.dbt(*BUILD, vars=vars)
    if result.returncode != 0:
        raise AssertionError(f"{what}: dbt exited {result.returncode}\n{result.output[-4000:]}")
    return result


def run_window(warehouse: Warehouse, start: datetime, end: datetime, **extra) -> DbtResult:
    return run_build(warehouse, window_vars(start, end, **extra), f"window {start} - {end}")


def duplicate_keys(warehouse: Warehouse) -> dict[str, int]:
    """Extra rows per table (rows beyond the first of each key); empty when every key is unique."""
    found = {}
    for table, key in KEYS.items():
        groups = f"select count(*) as n from {table} group by {key} having count(*) > 1"
        extra = warehouse.query(f"select coalesce(sum(n - 1), 0) from ({groups}) as duplicated")[0][0]
        if extra:
            found[table] = int(extra)
    return found


def relations(warehouse: Warehouse) -> list[str]:
    """Every table and view of the warehouse, leftovers of an interrupted run included."""
    return [row[0] for row in warehouse.query("select table_name from information_schema.tables order by 1")]


def snapshot_differences(actual: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> dict[str, str]:
    """Per table whose contents differ: row counts and a few rows found on one side only."""
    differences = {}
    for table in sorted(set(actual) | set(expected)):
        mine, theirs = Counter(actual.get(table, [])), Counter(expected.get(table, []))
        if mine == theirs:
            continue
        extra, missing = sorted(mine - theirs, key=repr), sorted(theirs - mine, key=repr)
        differences[table] = (
            f"{sum(mine.values())} rows, expected {sum(theirs.values())}; "
            f"{len(extra)} unexpected e.g. {extra[:2]}; {len(missing)} missing e.g. {missing[:2]}"
        )
    return differences
