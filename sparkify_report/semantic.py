"""MetricFlow in process, over the warehouse of a dbt target.

The `mf` CLI checks PyPI for a newer dbt-metricflow each time it starts, and MWAA has no internet. This runs
what `mf query` runs (MetricFlow's engine over dbt's own adapter, so every profile of profiles.yml works,
IAM and Serverless included) without the CLI: `dbt parse` for the target writes target/semantic_manifest.json
with that target's relation names and registers its adapter; MetricFlow plans each query and dbt's adapter
runs the SQL (sql_client.py). Only `metricflow` is needed, pinned exactly: MetricFlowEngine and the manifest
parser are what the `mf` CLI itself calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What each saved query is read in: order and size, asked at query time (dbt-core 1.11 accepts order_by and
# limit in YAML, but the Redshift target's schema check flags them as unknown keys).
QUERY_SHAPE: dict[str, dict[str, Any]] = {
    "headline_figures": {},
    "daily_listening": {"order_by_names": ["metric_time__day"]},
    "plays_by_level": {"order_by_names": ["metric_time__day", "songplay__level"]},
    "plays_by_hour_of_day": {"order_by_names": ["songplay__hour_of_day"]},
    "plays_by_weekday": {"order_by_names": ["songplay__weekday"]},
    "top_songs": {"order_by_names": ["-plays", "song"], "limit": 10},
    "top_artists": {"order_by_names": ["-plays", "artist"], "limit": 10},
    "top_listeners": {"order_by_names": ["-plays", "listener"], "limit": 10},
    "conversion_by_week": {"order_by_names": ["metric_time__week"]},
    "catalogue_coverage": {"order_by_names": ["songplay__catalogue_match"]},
}


class MetricsError(Exception):
    """The metrics cannot be read: the message says what to do."""


@dataclass(frozen=True)
class Metrics:
    """A MetricFlow engine over one dbt target, and what the report says about each metric."""

    engine: Any  # metricflow.engine.metricflow_engine.MetricFlowEngine
    adapter: Any  # dbt.adapters.base.BaseAdapter
    manifest: dict  # target/manifest.json of the same parse
    descriptions: dict[str, dict[str, str]]  # metric name -> label, description
    saved_queries: dict[str, dict[str, Any]]  # name -> label, description, metrics

    def query(self, saved_query: str) -> list[dict[str, Any]]:
        """The rows of a saved query, in QUERY_SHAPE's order, as {column: value}."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(saved_query_name=saved_query, **QUERY_SHAPE.get(saved_query, {}))
        table = self.engine.query(request).result_df
        return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]

    def relation(self, unique_id: str) -> str:
        """The warehouse relation of a manifest node or source (e.g. source.sparkify.sparkify.staging_events)."""
        node = self.manifest["nodes"].get(unique_id) or self.manifest["sources"][unique_id]
        return node["relation_name"]

    def play_span(self) -> tuple[Any, Any]:
        """When the first and the latest play started."""
        fact = self.relation("model.sparkify.fct_songplays")
        with self.adapter.connection_named("sparkify_report"):
            _, table = self.adapter.execute(f"select min(start_time), max(start_time) from {fact}", fetch=True)
        return table.rows[0][0], table.rows[0][1]

    def scalar(self, sql: str) -> Any:
        """The one value of a one-row, one-column query, run by dbt's adapter."""
        with self.adapter.connection_named("sparkify_report"):
            _, table = self.adapter.execute(sql, fetch=True)
        return table.rows[0][0] if table.rows else None


def parse_project(project_dir: Path, profiles_dir: Path, target: str | None, target_path: Path) -> None:
    """`dbt parse` for target: target_path gets manifest.json and semantic_manifest.json; dbt's adapter for the
    target is registered in this process."""
    from dbt.cli.main import dbtRunner

    args = ["parse", "--quiet", "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir)]
    args += ["--target-path", str(target_path)] + (["--target", target] if target else [])
    result = dbtRunner().invoke(args)
    if not result.success:
        raise MetricsError(f"dbt parse failed for target {target or '(default)'}: {result.exception}")


def load(project_dir: Path, profiles_dir: Path, target: str | None, target_path: Path) -> Metrics:
    """The metrics of the project over target's warehouse (nothing is queried yet)."""
    parse_project(project_dir, profiles_dir, target, target_path)
    from dbt.adapters.factory import get_adapter_by_type
    from dbt.config.runtime import load_profile
    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    from sparkify_report.sql_client import AdapterSqlClient

    profile = load_profile(str(project_dir), cli_vars={}, target_override=target)
    adapter = get_adapter_by_type(profile.credentials.type)
    semantic = parse_manifest_from_dbt_generated_manifest((target_path / "semantic_manifest.json").read_text())
    engine = MetricFlowEngine(SemanticManifestLookup(semantic), AdapterSqlClient(adapter))
    manifest = json.loads((target_path / "manifest.json").read_text())
    descriptions = {
        metric["name"]: {"label": metric["label"], "description": " ".join(metric["description"].split())}
        for metric in manifest["metrics"].values()
    }
    saved_queries = {
        saved["name"]: {
            "label": saved.get("label") or saved["name"],
            "description": " ".join((saved.get("description") or "").split()),
            "metrics": list(saved["query_params"]["metrics"]),
        }
        for saved in manifest["saved_queries"].values()
    }
    return Metrics(engine, adapter, manifest, descriptions, saved_queries)


def check(metrics: Metrics, semantic_manifest_path: Path) -> list[str]:
    """What is wrong with the semantic layer, in MetricFlow's words ([] when nothing): MetricFlow's own checks of
    the semantic manifest (what `mf validate-configs --skip-dw` runs), then a query plan of every metric alone (by
    day) and of every saved query, where an unknown dimension in a filter shows (no warehouse access)."""
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest

    manifest = parse_manifest_from_dbt_generated_manifest(semantic_manifest_path.read_text())
    results = SemanticManifestValidator().validate_semantic_manifest(manifest)
    problems = [issue.as_readable_str() for issue in results.errors]
    if problems:
        return problems
    by_day = ["metric_time__day"]  # cumulative and offset metrics need metric_time
    requests = {f"metric {name}": {"metric_names": [name], "group_by_names": by_day} for name in metrics.descriptions}
    requests |= {f"saved query {name}": {"saved_query_name": name} for name in metrics.saved_queries}
    for what, request in requests.items():
        try:
            metrics.engine.explain(MetricFlowQueryRequest.create(**request))
        except Exception as error:  # MetricFlow's query errors have no common base class
            problems.append(f"{what}: {error}")
    return problems
