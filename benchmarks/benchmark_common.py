"""Shared helpers of benchmarks/benchmark.py: measuring a fresh process, and the figures' table."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

PROJECT_DIR = Path(__file__).resolve().parents[1]
SAFE_PATH = re.compile(r"^/?[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*/?$")


@dataclass
class Sample:
    seconds: float
    max_rss_mb: float
    cpu_seconds: float  # user + system time of the process tree: less sensitive to other load than wall time
    run_results: dict | None = None
    dbt_processes: int = 0
    log: Path | None = None


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


def fail(message: str) -> None:
    raise SystemExit(f"benchmark: {message}")


def run_measured(command: list[str], env: dict[str, str], log: Path) -> Sample:
    """Runs a command in a fresh process; wall time, CPU time and the peak RSS of its process tree."""
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    if returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        fail(f"{' '.join(command[:3])} exited with {returncode} (log {log}):\n{tail}")
    return Sample(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, log=log)  # ru_maxrss: KiB


def child_env(**extra: str) -> dict[str, str]:
    """This environment without Sparkify, dbt or Airflow settings; tools of this virtualenv first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARKIFY_", "DBT_", "AIRFLOW"))}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    return env | extra


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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
    if unit == "MiB":
        return f"{value:,.0f} {unit}"
    if unit == "processes":
        return f"{value:g} {unit}"
    return f"{value:.2f} {unit}"


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


T = TypeVar("T")


def check_workdir(parser, workdir: Path | None) -> None:
    """--workdir: a plain path (letters, digits and _ . = - /, no '..') to a new or empty folder."""
    if workdir is None:
        return
    if not SAFE_PATH.match(str(workdir)) or ".." in workdir.parts:
        parser.error(f"--workdir {workdir}: expected a path made of letters, digits and _ . = - /")
    if workdir.exists() and any(workdir.iterdir()):
        parser.error(f"--workdir {workdir}: expected a new or empty folder")


def in_workdir(workdir: Path | None, prefix: str, run: Callable[[Path], T]) -> T:
    """run(folder): in workdir, kept, when given; else in a temporary folder removed afterwards."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        return run(workdir.resolve())
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as work:
        return run(Path(work))
