"""One hourly run under a real scheduler, trigger to success: node tasks deferring against rescheduling.

    PYTHONPATH=tests python benchmarks/benchmark_stack.py [--runs 1] [--idle-seconds 20] [--workdir DIR]
    make benchmark-stack

Starts everything it needs on 127.0.0.1 and stops it at the end: moto_server with one UTC day of the sample
(2018-11-15) in a bucket, the Redshift harness in Serverless mode, and per mode a local Airflow stack
(tests/airflow_stack: scheduler, dag-processor, triggerer, api-server, LocalExecutor, PostgreSQL) running the
DAG with its production settings against the harness (as tests/pytest/test_airflow_stack_redshift.py does):
SPARKIFY_WATCHER_CONSUMERS=deferrable (the default) and reschedule with a look every 60 s. On DuckDB the DAG
runs one task at a time, so no node task ever waits there: the comparison needs Redshift's two at once.

The modes run one after the other, each stack alone on the machine; a stack is stopped before the next one
starts. Per mode and run (run i loads 2018-11-15 (14 + i):00 to (15 + i):00 UTC, a new hour, so that every task
starts at its first try):
- wall: from the backfill's creation (through the api-server, as `airflow backfill create` does;
  backfill.created_at) to the run's end (dag_run.end_date);
- launches of the node ("consumer") tasks, max per task and total, every task's launches (Stack.launch_counts:
  one per try, reschedule poke and resume after deferral), reschedules and deferrals (Stack.launch_breakdown);
- CPU seconds per component (Stack.cpu_seconds, the delta over the run): scheduler with its LocalExecutor
  workers and the tasks they run, triggerer, dag-processor, api-server; and, measured before the run over
  --idle-seconds, what the same components spend idle per second (heartbeats, parsing), to tell the cost of a
  longer run from the cost of more launches.
Prints the load average and one Markdown table (value: reschedule, baseline: deferrable).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
TESTS = BENCHMARKS.parent / "tests"
sys.path[:0] = [str(BENCHMARKS), str(TESTS), str(TESTS / "pytest")]

import boto3  # noqa: E402
from airflow_stack import Stack  # noqa: E402
from benchmark_common import (  # noqa: E402
    Figure,
    check_workdir,
    fail,
    in_workdir,
    load_average,
    machine,
    samples_text,
    table,
)
from conftest import CREDENTIALS  # noqa: E402
from redshift_harness import free_port, start_harness, wait_for_port  # noqa: E402
from test_airflow_stack import CONSUMERS, DAG_ID  # noqa: E402
from test_airflow_stack_redshift import DAY, RESCHEDULE, day_bucket, serverless_stack  # noqa: E402

MODES = {"deferrable": {}, "reschedule": RESCHEDULE}
FIRST_HOUR = 14  # run i loads DAY (14 + i):00 to (15 + i):00 UTC; every hourly run replaces the whole day
COMPONENTS = ("scheduler", "triggerer", "dag-processor", "api-server")


@dataclass
class Measure:
    """One hourly run of one mode."""

    wall: float
    launches: dict[str, int]
    reschedules: int
    deferrals: int
    cpu: dict[str, float]  # component -> CPU seconds over the run
    idle_cpu: dict[str, float] = field(default_factory=dict)  # component -> CPU seconds per idle second

    @property
    def consumer_launches(self) -> list[int]:
        return [self.launches[task_id] for task_id in CONSUMERS]


def start_moto(workdir: Path) -> tuple[subprocess.Popen, str]:
    """moto_server on 127.0.0.1; its endpoint."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=(workdir / "moto.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, server, "moto_server")
    return server, f"http://127.0.0.1:{port}"


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def idle_cpu(stack: Stack, seconds: float) -> dict[str, float]:
    """CPU seconds per second of each component while no run is active."""
    if seconds <= 0:
        return {}
    before = stack.cpu_seconds()
    time.sleep(seconds)
    after = stack.cpu_seconds()
    return {name: (after[name] - before[name]) / seconds for name in COMPONENTS}


def hour(run: int) -> str:
    """The logical date of run `run` (0-based): a new hour each time. Re-running a completed hour would not do:
    its tasks start at try 2, which the DAG takes for retries (dags/sparkify_pipeline/watcher_retry.py)."""
    return f"{DAY}T{FIRST_HOUR + run:02d}:00:00+00:00"


def measure_run(stack: Stack, logical_date: str) -> Measure:
    """One backfill of the hour at logical_date, to its end; fails unless the run succeeded."""
    stack.api("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})  # before the CPU reading (backfill() too)
    stack.wait_for_backfills(DAG_ID)
    before = stack.cpu_seconds()
    run_ids = stack.backfill(DAG_ID, logical_date, logical_date, reprocess="none")
    if len(run_ids) != 1:
        fail(f"the backfill made {len(run_ids)} runs, expected 1")
    (run_id,) = run_ids
    run = stack.wait_for_runs(DAG_ID, run_ids, timeout=1800)[run_id]
    after = stack.cpu_seconds()
    if run["state"] != "success":
        failed = {task_id: task["state"] for task_id, task in run["tasks"].items() if task["state"] != "success"}
        fail(f"run {run_id} ended {run['state']}: {failed}; logs in {stack.workdir}")
    ((created,),) = stack.sql(
        "select b.created_at from backfill b join dag_run r on r.backfill_id = b.id"
        " where r.dag_id = %s and r.run_id = %s",
        DAG_ID,
        run_id,
    )
    breakdown = stack.launch_breakdown(DAG_ID, run_id)
    return Measure(
        wall=(run["end_date"] - created).total_seconds(),
        launches=stack.launch_counts(DAG_ID, run_id),
        reschedules=sum(counts.get("reschedules", 0) for counts in breakdown.values()),
        deferrals=sum(counts.get("deferrals", 0) for counts in breakdown.values()),
        cpu={name: after[name] - before[name] for name in COMPONENTS},
    )


def measure_mode(work: Path, harness, endpoint: str, data_root: str, mode: str, args) -> list[Measure]:
    """A stack of its own for the mode; --runs runs of the hour in it; the stack stopped."""
    schema = f"bench_{mode}"
    started = time.perf_counter()
    stack = serverless_stack(work / f"stack_{mode}", harness, endpoint, data_root, schema, preload=False, **MODES[mode])
    with stack:
        print(f"{mode}: stack up in {time.perf_counter() - started:.1f} s; load average {load_average()}", flush=True)
        measures = []
        for i in range(args.runs):
            idle = idle_cpu(stack, args.idle_seconds)
            measure = measure_run(stack, hour(i))
            measure.idle_cpu = idle
            measures.append(measure)
            print(
                f"{mode} run {i + 1}: {measure.wall:.1f} s, {sum(measure.launches.values())} launches "
                f"(node tasks max {max(measure.consumer_launches)}), {measure.reschedules} reschedules, "
                f"{measure.deferrals} deferrals; load average {load_average()}",
                flush=True,
            )
    return measures


class Row(Figure):
    """A figure whose baseline may be 0 (deferrable mode reschedules nothing): no ratio then."""

    @property
    def ratio(self) -> float:
        return self.median / self.baseline_median if self.baseline_median else math.nan


def figures(results: dict[str, list[Measure]]) -> list[Figure]:
    """Reschedule (value) against deferrable (baseline), per run."""

    def figure(name: str, unit: str, of) -> Figure:
        values = {mode: [float(of(m)) for m in results[mode]] for mode in MODES}
        return Row(name, unit, values["reschedule"], "deferrable", values["deferrable"])

    rows = [
        figure("wall, backfill create to run success", "s", lambda m: m.wall),
        figure("launches per node task, max", "launches", lambda m: max(m.consumer_launches)),
        figure("launches of the node tasks, total", "launches", lambda m: sum(m.consumer_launches)),
        figure("launches of every task, total", "launches", lambda m: sum(m.launches.values())),
        figure("reschedules", "count", lambda m: m.reschedules),
        figure("deferrals", "count", lambda m: m.deferrals),
        figure("CPU, all components", "s", lambda m: sum(m.cpu.values())),
    ]
    rows += [figure(f"CPU, {name}", "s", lambda m, name=name: m.cpu[name]) for name in COMPONENTS]
    if all(m.idle_cpu for measures in results.values() for m in measures):
        rows += [
            figure(f"idle CPU per second, {name}", "s/s", lambda m, name=name: m.idle_cpu[name]) for name in COMPONENTS
        ]
    return rows


def launches_text(results: dict[str, list[Measure]]) -> str:
    """Each task's launches per mode, run by run."""
    tasks = sorted(results["deferrable"][0].launches)
    lines = ["| task | " + " | ".join(MODES) + " |", "| --- |" + " ---: |" * len(MODES)]
    for task_id in tasks:
        counts = [", ".join(str(m.launches.get(task_id, 0)) for m in results[mode]) for mode in MODES]
        lines.append(f"| {task_id} | " + " | ".join(counts) + " |")
    return "\n".join(lines)


def benchmark(args, work: Path) -> dict[str, list[Measure]]:
    """moto, the day's bucket, the Serverless harness; each mode in turn; everything stopped."""
    moto, endpoint = start_moto(work)
    harness = None
    try:
        data_root = day_bucket(s3_client(endpoint), work / "data")
        (work / "harness").mkdir()
        harness = start_harness(work / "harness", endpoint, CREDENTIALS, serverless=True)
        return {mode: measure_mode(work, harness, endpoint, data_root, mode, args) for mode in MODES}
    finally:
        if harness:
            harness.stop()
        moto.terminate()
        moto.wait(timeout=30)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per mode, hours 14:00, 15:00, ... (default 1)")
    parser.add_argument("--idle-seconds", type=float, default=20, help="idle CPU reading before each run (20)")
    parser.add_argument("--workdir", type=Path, help="keep stacks, logs and data here (default: a temp dir, removed)")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 24 - FIRST_HOUR or args.idle_seconds < 0:
        parser.error(f"expected --runs from 1 to {24 - FIRST_HOUR} and --idle-seconds >= 0")
    check_workdir(parser, args.workdir)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print("Sparkify: one hourly run under a local Airflow stack, Redshift harness (Serverless mode)")
    print("\n".join(machine()))
    print(f"Load average at start: {load_average()}", flush=True)
    results = in_workdir(args.workdir, "sparkify-bench-stack-", lambda work: benchmark(args, work))
    print(f"Load average at end: {load_average()}")
    print()
    print(
        f"Hours of {DAY} from {FIRST_HOUR}:00 UTC, {args.runs} run(s) per mode (one a new hour), medians; value: "
        "reschedule (a look every 60 s), baseline: deferrable (the default)"
    )
    print()
    rows = figures(results)
    print(table(rows))
    print()
    print("Samples:")
    print(samples_text(rows))
    print()
    print(launches_text(results))


if __name__ == "__main__":
    main()
