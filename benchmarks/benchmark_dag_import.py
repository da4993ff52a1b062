"""Benchmark: how long Airflow takes to import the Sparkify DAG file, per Cosmos load mode.

    python benchmarks/benchmark_dag_import.py [--runs 5]

Each measurement is a fresh Python process that imports Airflow first (not timed), then times the
DagBag fill of dags/ (what the DAG processor does per parse). Prints a table of median/min/max.
dbt_manifest is the production mode (manifest built at deploy time); dbt_ls runs `dbt ls` per layer
(Cosmos' dbt ls cache off); "dbt_ls cached" is dbt_ls with Cosmos' cache in Airflow Variables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PROBE = """
import json, time
from pathlib import Path
import airflow.sdk  # noqa: F401  (Airflow's own import cost is not the DAG's)
from airflow.dag_processing.dagbag import BundleDagBag
folder = Path({dags!r})
started = time.perf_counter()
bag = BundleDagBag(dag_folder=folder, bundle_path=folder, bundle_name="dags-folder")
seconds = time.perf_counter() - started
tasks = len(bag.dags["sparkify_hourly"].tasks) if "sparkify_hourly" in bag.dags else 0
print("PROBE " + json.dumps({{"seconds": seconds, "errors": len(bag.import_errors), "tasks": tasks}}))
"""


MODES = {  # label: environment
    "dbt_manifest": {"SPARKIFY_COSMOS_LOAD_MODE": "dbt_manifest"},
    "dbt_ls": {"SPARKIFY_COSMOS_LOAD_MODE": "dbt_ls", "AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS": "False"},
    "dbt_ls cached": {"SPARKIFY_COSMOS_LOAD_MODE": "dbt_ls"},
}


def measure(mode: str, runs: int, env: dict[str, str]) -> list[float]:
    seconds = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PROBE.format(dags=str(PROJECT_DIR / "dags"))],
            env={**env, **MODES[mode]},
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("PROBE "))[6:])
        if result["errors"]:
            raise SystemExit(f"{mode}: import errors\n{done.stdout}{done.stderr}")
        seconds.append(result["seconds"])
    return seconds


@contextmanager
def prepared_env() -> Iterator[dict[str, str]]:
    """Environment of the probes: a throwaway Airflow home holding the parsed dbt manifest and a
    migrated metadata DB (where Cosmos caches dbt ls). benchmarks/benchmark.py reuses it."""
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SPARKIFY_", "DBT_"))}
        env |= {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DO_NOT_TRACK": "1",
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "SPARKIFY_DBT_MANIFEST": str(Path(home) / "target" / "manifest.json"),
        }
        subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--target-path", f"{home}/target"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
        )
        airflow = str(Path(sys.executable).with_name("airflow"))
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)  # dbt ls cache
        yield env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with prepared_env() as env:
        print(f"DAG file import time, {args.runs} fresh processes per mode (seconds)")
        print(f"{'load mode':<16}{'median':>8}{'min':>8}{'max':>8}")
        for mode in MODES:
            times = measure(mode, args.runs, env)
            print(f"{mode:<16}{statistics.median(times):>8.3f}{min(times):>8.3f}{max(times):>8.3f}")


if __name__ == "__main__":
    main()
