"""Load mode dbt_ls at the price of one `dbt ls` per DAG import, not one per layer.

Cosmos' LoadMode.DBT_LS runs `dbt ls` once per DbtTaskGroup: three dbt invocations, each importing dbt
and parsing the project, inside Airflow's DAG import timeout (30 s by default). Here one
`dbt ls --output json` lists the nodes of every layer at once; each layer gets a file with the lines of
its own tags, which Cosmos reads with LoadMode.DBT_LS_FILE (it applies no selection of its own). dbt's
partial parse is kept between imports in a cache folder of this project, as Cosmos does for its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# What Cosmos asks `dbt ls` for (cosmos.dbt.graph.DbtGraph.run_dbt_ls).
OUTPUT_KEYS = [
    "name", "unique_id", "resource_type", "depends_on", "original_file_path", "tags", "config", "freshness", "fqn",
]  # fmt: skip
TIMEOUT_SECONDS = 25  # under Airflow's default dagbag_import_timeout (30 s): fail with dbt's own words


def _tags(select: list[str]) -> set[str]:
    """The layer's selectors, which are dbt tag selectors (tag:NAME)."""
    tags = {selector.removeprefix("tag:") for selector in select}
    if any(not selector.startswith("tag:") for selector in select):
        raise ValueError(f"dbt_ls load mode selects layers by tag only (tag:NAME), got {select}")
    return tags


def layer_files(
    project_dir: Path, target: str, layers: dict[str, list[str]], env: dict[str, str], dbt_executable: str | None
) -> dict[str, Path]:
    """Runs `dbt ls` once for every layer's selectors; returns layer name -> its dbt ls output file."""
    project_key = hashlib.sha256(str(project_dir).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"sparkify_dbt_ls_{project_key}"
    cache.mkdir(exist_ok=True)
    selectors = sorted({selector for select in layers.values() for selector in select})
    dbt = dbt_executable or str(Path(sys.executable).with_name("dbt"))
    command = [
        dbt, "ls", "--output", "json", "--output-keys", *OUTPUT_KEYS, "--select", *selectors,
        "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--target", target,
        "--target-path", str(cache / "target"), "--log-path", str(cache / "logs"), "--quiet",
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=project_dir,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt ls failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
    nodes = [line for line in done.stdout.splitlines() if line.startswith("{")]
    files = {}
    for layer, select in layers.items():
        tags = _tags(select)
        path = cache / f"{layer}.json"
        written = path.with_name(f"{layer}.{os.getpid()}.tmp")  # another import may read the file meanwhile
        written.write_text("".join(line + "\n" for line in nodes if tags & set(json.loads(line).get("tags", []))))
        written.replace(path)
        files[layer] = path
    return files
