"""MetricFlow's SqlClient over a dbt adapter: MetricFlow plans the SQL in the target's dialect, dbt's adapter
(the one `dbt parse` registered for the target, with every auth mode of profiles.yml) runs it.

Our own, so that production needs `metricflow` only: dbt-metricflow's client lives in the package of the
`mf` CLI, which needs `halo`, an sdist-only package that MWAA's offline wheel bundle cannot install.
"""

from __future__ import annotations

from typing import Any

from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.redshift import RedshiftSqlPlanRenderer
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet

ENGINES = {
    "duckdb": (SqlEngine.DUCKDB, DuckDbSqlPlanRenderer),
    "redshift": (SqlEngine.REDSHIFT, RedshiftSqlPlanRenderer),
}
NO_PARAMETERS = SqlBindParameterSet()


class AdapterSqlClient:
    """MetricFlow's SqlClient protocol (metricflow.protocols.sql_client) on a dbt adapter, without bind parameters
    (MetricFlow's queries here have none)."""

    def __init__(self, adapter: Any) -> None:
        if adapter.type() not in ENGINES:
            raise ValueError(f"dbt adapter {adapter.type()!r}: the report knows {sorted(ENGINES)}")
        self._adapter = adapter
        engine, renderer = ENGINES[adapter.type()]
        self.sql_engine_type, self.sql_plan_renderer = engine, renderer()

    def _run(self, stmt: str, parameters: SqlBindParameterSet, fetch: bool) -> Any:
        if parameters.param_dict:
            raise ValueError(f"bind parameters are not supported through a dbt adapter: {dict(parameters.param_dict)}")
        with self._adapter.connection_named("sparkify_report_metricflow"):
            return self._adapter.execute(stmt, auto_begin=True, fetch=fetch)

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = NO_PARAMETERS) -> Any:
        _, table = self._run(stmt, sql_bind_parameter_set, fetch=True)
        return MetricFlowDataTable.create_from_rows(
            column_names=table.column_names, rows=[row.values() for row in table.rows]
        )

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = NO_PARAMETERS) -> None:
        self._run(stmt, sql_bind_parameter_set, fetch=False)

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = NO_PARAMETERS) -> None:
        self._run(f"explain {stmt}", sql_bind_parameter_set, fetch=False)

    def close(self) -> None:
        self._adapter.cleanup_connections()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"
