"""Where the time goes, for benchmarks/benchmark.py --profile: dbt's per-node timings (run_results.json) and
DuckDB's JSON profile (EXPLAIN ANALYZE) of the full build's heavy statements."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from benchmark_common import PROJECT_DIR, Sample, fail

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


def duckdb_profile(work: Path, root: Path, build_dir: Path, db: Path, builds: list[Sample], top: int = 3) -> str:
    """DuckDB's profile of the full build's heavy statements, on a copy of the built warehouse."""
    results = median_sample(builds).run_results or {}
    manifest = json.loads((build_dir / "target" / "manifest.json").read_text())
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
    # benchmarks/benchmark_loader.py profiles the loader against read_json on its own.
    statements += nodes
    copy = work / "profile" / db.name
    copy.parent.mkdir()
    shutil.copy(db, copy)
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


DAG_TEST_LINE = re.compile(r"^(\S+Z) .*?(?:\[DAG TEST\] starting task_id=(\S+)|(DagRun Finished))")


def dag_timeline(title: str, samples: list[Sample]) -> str:
    """Where an `airflow dags test` run's wall time goes, from its log (median run): before the first task,
    each task (dag.test() runs one at a time; a rescheduled sensor counts every look), after the run."""
    sample = median_sample(samples)
    text = sample.log.read_text(errors="replace") if sample.log else ""
    stamps = [m for m in map(DAG_TEST_LINE.match, text.splitlines()) if m]
    if not stamps or not stamps[-1].group(3):
        return f"{title}: no task timeline in {sample.log}"
    times = [datetime.fromisoformat(m.group(1).replace("Z", "+00:00")) for m in stamps]
    first_line = re.match(r"^(\S+Z) ", text)
    started = datetime.fromisoformat(first_line.group(1).replace("Z", "+00:00")) if first_line else times[0]
    per_task: dict[str, float] = {}
    for match, begin, end in zip(stamps, times, times[1:], strict=False):
        per_task[match.group(2)] = per_task.get(match.group(2), 0.0) + (end - begin).total_seconds()
    logged = (times[-1] - started).total_seconds()
    lines = [
        f"{title} (median run): wall {sample.seconds:.2f} s = Airflow CLI start before its first log line "
        f"{sample.seconds - logged:.2f} s + DAG load and run setup {(times[0] - started).total_seconds():.2f} s "
        f"+ tasks {(times[-1] - times[0]).total_seconds():.2f} s; {sample.dbt_processes} dbt processes. By task:"
    ]
    lines += [f"    {t:7.2f} s  {task}" for task, t in sorted(per_task.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)
