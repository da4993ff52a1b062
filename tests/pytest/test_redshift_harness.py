"""The redshift target, end to end, on the PostgreSQL-backed harness (tests/redshift_harness).

dbt-redshift and redshift_connector run unchanged; the COPY pre-hooks read the sample from a local
S3 API. What this proves and what it cannot: docs/testing.md, "How the Redshift path is tested".
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import (
    ALL_TABLES,
    HARNESS_IAM_ROLE,
    HOURLY_SELECTION,
    PROJECT_DIR,
    SAMPLE_ROOT,
    RedshiftWarehouse,
    Warehouse,
    redshift_parse_error,
)
from reference import read_events
from report_checks import assert_equals_reference, run_report

HOUR = {"data_interval_start": "2018-11-15T14:00:00+00:00", "data_interval_end": "2018-11-15T15:00:00+00:00"}


@pytest.fixture(scope="session")
def redshift_build(tmp_path_factory, redshift_harness) -> RedshiftWarehouse:
    """`dbt build` then `dbt docs generate` on the redshift target, once per session."""
    warehouse = RedshiftWarehouse(tmp_path_factory.mktemp("redshift_build"), redshift_harness, "full_build")
    first = len(redshift_harness.statements())
    warehouse.build()
    docs = warehouse.dbt("docs", "generate")
    assert docs.returncode == 0, docs.output[-4000:]
    warehouse.statements = redshift_harness.statements()[first:]
    return warehouse


def test_full_build_equals_the_duckdb_build_table_by_table(redshift_build: RedshiftWarehouse, full_build: Warehouse):
    redshift, duckdb = redshift_build.snapshot(), full_build.snapshot()
    assert set(redshift) == set(ALL_TABLES)
    for table in ALL_TABLES:
        assert len(redshift[table]) == len(duckdb[table]) > 0, table
        assert redshift[table] == duckdb[table], table


def test_full_build_ran_every_layer_through_redshift_sql(redshift_build: RedshiftWarehouse):
    notes = [note for statement in redshift_build.statements for note in statement["notes"]]
    # Both pre-hooks ran a real COPY: songs from 71 files, events from 30 day files.
    assert "COPY emulated: 71 file(s), 71 record(s), 0 unparsable line(s)" in notes
    assert "COPY emulated: 30 file(s), 8056 record(s), 0 unparsable line(s)" in notes
    # The marts' physical design reached the cluster (and was translated for PostgreSQL).
    created = [s for s in redshift_build.statements if "DISTKEY dropped" in s["notes"]]
    assert any('"fct_songplays' in s["sql"] and re.search(r"distkey\s*\(\s*start_time", s["sql"]) for s in created)
    assert any("diststyle all" in s["sql"] for s in redshift_build.statements if '"dim_users' in s["sql"])
    # docs generate read the catalog (svv_table_info shim included).
    catalog = redshift_build.workdir / "target" / "catalog.json"
    assert '"fct_songplays"' in catalog.read_text()


def test_window_run_is_idempotent(new_redshift_warehouse):
    warehouse: RedshiftWarehouse = new_redshift_warehouse("window")
    warehouse.build(*HOURLY_SELECTION, vars=HOUR)
    once = warehouse.snapshot()
    day = read_events(SAMPLE_ROOT, days=["2018-11-15"])
    assert len(once["staging_events"]) == len(day) > 0
    assert len(once["fct_songplays"]) > 0
    warehouse.build(*HOURLY_SELECTION, vars=HOUR)
    assert warehouse.snapshot() == once


def test_window_after_full_build_leaves_every_table_unchanged(redshift_build: RedshiftWarehouse):
    before = redshift_build.snapshot()
    redshift_build.build(*HOURLY_SELECTION, vars=HOUR)
    assert redshift_build.snapshot() == before


def test_copy_from_a_missing_day_fails_with_redshifts_message(new_redshift_warehouse):
    warehouse: RedshiftWarehouse = new_redshift_warehouse("missing_day")
    result = warehouse.dbt(
        "build", vars={"data_interval_start": "2018-12-05T10:00:00Z", "data_interval_end": "2018-12-05T11:00:00Z"}
    )
    assert result.returncode == 1
    assert "The specified S3 prefix 'log_data/2018/12/2018-12-05-events.json' does not exist" in result.output


# ---------------------------------------------------------------------------------------------
# Every statement dbt sent is Redshift SQL (as far as sqlfluff's redshift dialect knows it).

# Statements sqlfluff's redshift dialect cannot parse although Redshift runs them, each justified:
SQLFLUFF_EXCLUSIONS = {
    # dbt-redshift's own get_columns_in_relation: a set-returning function with a column definition
    # list, `from pg_get_late_binding_view_cols() cols(view_schema name, …)`, Redshift's documented
    # way to call it; sqlfluff has no grammar for column definition lists.
    "dbt-redshift late-binding view columns": re.compile(r"pg_get_late_binding_view_cols\(\)\s+cols\s*\(", re.I),
}


def normalized(sql: str) -> str:
    sql = re.sub(r"^\s*/\*.*?\*/", "", sql, flags=re.S)  # dbt's query comment
    sql = re.sub(r"'(?:[^']|'')*'", "'?'", sql)
    return " ".join(re.sub(r"\b\d+\b", "0", sql).split()).lower()


def test_every_statement_dbt_sent_parses_as_redshift(redshift_build: RedshiftWarehouse):
    distinct: dict[str, str] = {}
    for statement in redshift_build.statements:
        distinct.setdefault(normalized(statement["sql"]), statement["sql"])
    assert len(distinct) > 50  # catalog queries, DDL, COPY, merges, tests, docs
    excluded, unparsable = {}, []
    for sql in distinct.values():
        reason = next((name for name, pattern in SQLFLUFF_EXCLUSIONS.items() if pattern.search(sql)), None)
        if reason:
            excluded[reason] = excluded.get(reason, 0) + 1
            continue
        error = redshift_parse_error(sql)
        if error:
            unparsable.append(f"{sql[:600]}\n--> {error[:400]}")
    assert not unparsable, "\n\n".join(unparsable)
    assert set(excluded) <= set(SQLFLUFF_EXCLUSIONS)
    assert any(re.match(r"\s*copy\b", sql, re.I) for sql in distinct.values())


def report_on(warehouse: RedshiftWarehouse, workdir: Path) -> tuple[dict, list[dict]]:
    """The report over the warehouse's schema (target redshift); its rows and the statements it sent."""
    first = len(warehouse.harness.statements())
    env = {**warehouse.settings, "SPARKIFY_DATA_ROOT": warehouse.data_root, "SPARKIFY_IAM_ROLE": HARNESS_IAM_ROLE}
    done = run_report(workdir, "--target", warehouse.target, **env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((workdir / "rows.json").read_text()), warehouse.harness.statements()[first:]


def test_every_saved_query_on_redshift_equals_the_reference_in_redshift_sql(redshift_build, tmp_path):
    """MetricFlow's Redshift SQL, run by dbt-redshift's adapter as on MWAA: every saved query's rows equal the
    Python reference of the sample, and every statement the report sent parses as Redshift."""
    rows, sent = report_on(redshift_build, tmp_path)
    assert_equals_reference(rows, SAMPLE_ROOT)
    queries = [s["sql"] for s in sent if re.search(r"\b\w+_src_\d+\b", s["sql"])]  # MetricFlow's source aliases
    assert len(queries) >= 10  # one per saved query
    unparsable = [f"{sql[:600]}\n--> {error[:400]}" for sql in queries if (error := redshift_parse_error(sql))]
    assert not unparsable, "\n\n".join(unparsable)


def test_every_saved_query_on_serverless_equals_the_reference(redshift_serverless_harness, tmp_path):
    """The same on the harness's Serverless mode, after a full build there."""
    warehouse = RedshiftWarehouse(tmp_path / "build", redshift_serverless_harness, "report_serverless")
    warehouse.workdir.mkdir()
    warehouse.build()
    rows, _ = report_on(warehouse, tmp_path / "report")
    assert_equals_reference(rows, SAMPLE_ROOT)


# ---------------------------------------------------------------------------------------------
# A misspelled COPY option cannot ship: both the harness and sqlfluff reject it.


def project_copy_with(tmp_path: Path, macro: str, old: str, new: str) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "target",
            "logs",
            "data",
            ".airflow",
            "artifacts",
            "*.duckdb",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
        ),
    )
    path = copy / "macros" / "copy_json" / macro
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return copy


def test_misspelled_copy_option_is_caught(tmp_path, redshift_harness):
    project = project_copy_with(tmp_path, "redshift__copy_json.sql", "\ntruncatecolumns\n", "\ntruncatecolumn\n")
    warehouse = RedshiftWarehouse(tmp_path / "wh", redshift_harness, "misspelled")
    warehouse.workdir.mkdir()
    result = warehouse.dbt("build", "--project-dir", str(project), "--select", "stg_sparkify__songs")
    assert result.returncode == 1
    assert 'syntax error at or near "truncatecolumn"' in result.output

    compiled = warehouse.dbt(
        "compile", "--quiet", "--no-populate-cache", "--project-dir", str(project),
        "--inline", "{{ copy_json('staging_songs') }}",
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.output
    error = redshift_parse_error(compiled.output)
    assert error is not None
    assert "unparsable section: 'truncatecolumn" in error
