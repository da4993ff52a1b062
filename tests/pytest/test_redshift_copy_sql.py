"""The Redshift COPY the pre-hook renders: the promised clauses, valid Redshift syntax (sqlfluff)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, DbtRunner, base_env, redshift_parse_error

ROLE = "arn:aws:iam::123456789012:role/sparkify-copy"
SQLFLUFF = Path(sys.executable).with_name("sqlfluff")


def render_copy(dbt: DbtRunner, tmp_path: Path, table: str, vars: dict | None = None, **env: str):
    """Renders copy_json(table) on the redshift target without connecting to a cluster."""
    args = ["compile", "--quiet", "--no-populate-cache", "--target", "redshift"]
    args += ["--inline", f"{{{{ copy_json('{table}') }}}}"]
    args += ["--vars", json.dumps({"data_root": "s3://udacity-dend", **(vars or {})})]
    return dbt(args, tmp_path, base_env(**{"SPARKIFY_IAM_ROLE": ROLE, **env}))


def assert_parses_as_redshift(sql: str, tmp_path: Path) -> None:
    error = redshift_parse_error(sql)
    assert error is None, error


def test_events_copy_full_mode(dbt_worker, tmp_path):
    result = render_copy(dbt_worker, tmp_path, "staging_events")
    assert result.returncode == 0, result.output
    sql = result.output
    statements = [s.strip().split()[0].lower() for s in sql.split(";") if s.strip()]
    # One transaction: temp tables, COPY, its rejections from SYS_LOAD_ERROR_DETAIL, the partition check
    # (rows without ts), the partition replace, the rejections replace.
    assert statements == [
        "begin", "create", "alter", "create", "copy", "update", "insert",
        "insert", "delete",
        "delete", "insert", "drop",
        "delete", "insert", "drop",
        "commit",
    ]  # fmt: skip
    assert re.search(r"^maxerror 1000$", sql, re.MULTILINE)
    # Rejections of this session's latest COPY from the SYS view (provisioned and Serverless); on a
    # provisioned cluster (the default) the raw line and value joined from STL by pg_last_copy_id().
    assert "from sys_load_error_detail as detail" in sql
    assert "select max(history.query_id) from sys_load_history as history" in sql
    assert "left join stl_load_errors as stl" in sql
    assert "stl.query = pg_last_copy_id()" in sql
    assert "from 's3://udacity-dend/log_data/'" in sql
    assert f"iam_role '{ROLE}'" in sql
    assert "region 'us-west-2'" in sql
    assert "format as json 's3://udacity-dend/log_json_path.json'" in sql
    for option in ("truncatecolumns", "blanksasnull", "emptyasnull", "compupdate off", "statupdate off"):
        assert re.search(rf"^{option};?$", sql, re.MULTILINE), option
    # Positional JSONPaths mapping: the COPY column list is the source's declared order.
    assert "(artist, auth, first_name, gender, item_in_session, last_name, length, level," in sql
    assert "truncate " not in sql.lower()
    assert not re.search(r"access_key|secret|credentials|token", sql, re.IGNORECASE)
    assert_parses_as_redshift(sql, tmp_path)


@pytest.mark.parametrize("setting", [{"vars": {"redshift_deployment": "serverless"}}, {"env": "serverless"}])
def test_serverless_reads_rejections_from_sys_only(dbt_worker, tmp_path, setting):
    """Serverless has no STL: the rendered load names no STL view and no pg_last_copy_id() (by var or env)."""
    env = {"SPARKIFY_REDSHIFT_DEPLOYMENT": setting["env"]} if "env" in setting else {}
    result = render_copy(dbt_worker, tmp_path, "staging_events", setting.get("vars"), **env)
    assert result.returncode == 0, result.output
    sql = result.output
    assert "from sys_load_error_detail as detail" in sql
    assert "stl_" not in sql.lower()
    assert "pg_last_copy_id" not in sql
    assert_parses_as_redshift(sql, tmp_path)


def test_songs_copy_uses_auto(dbt_worker, tmp_path):
    result = render_copy(dbt_worker, tmp_path, "staging_songs")
    assert result.returncode == 0, result.output
    sql = result.output
    assert "from 's3://udacity-dend/song_data/'" in sql
    assert "format as json 'auto'" in sql
    # The catalogue is replaced whole: an unconditional delete inside the transaction.
    assert re.search(r"delete from \S+staging_songs\"?;", sql)
    assert_parses_as_redshift(sql, tmp_path)


def test_events_copy_window_mode_loads_each_day_once(dbt_worker, tmp_path):
    window = {
        "data_interval_start": "2018-11-15T23:00:00+00:00",
        "data_interval_end": "2018-11-16T01:00:00+00:00",
    }
    result = render_copy(
        dbt_worker, tmp_path, "staging_events", vars={**window, "events_json_option": "auto ignorecase"}
    )
    assert result.returncode == 0, result.output
    sql = result.output
    assert sql.count("copy sparkify_load__staging_events") == 2
    assert "from 's3://udacity-dend/log_data/2018/11/2018-11-15-events.json'" in sql
    assert "from 's3://udacity-dend/log_data/2018/11/2018-11-16-events.json'" in sql
    assert "format as json 'auto ignorecase'" in sql
    # Exactly the two UTC days are replaced: [2018-11-15, 2018-11-17) in epoch ms.
    assert "where ts >= 1542240000000 and ts < 1542412800000" in sql
    assert_parses_as_redshift(sql, tmp_path)


@pytest.mark.parametrize(
    ("vars", "env", "message"),
    [
        ({"data_root": "data/sparkify"}, {}, 'Invalid var data_root="data/sparkify": expected an s3:// URI'),
        ({}, {"SPARKIFY_IAM_ROLE": ""}, 'Invalid var iam_role="": expected the ARN of an IAM role'),
        (
            {"events_json_option": "/tmp/paths.json"},
            {},
            'Invalid var events_json_option="/tmp/paths.json": expected an s3:// URI: Redshift reads',
        ),
    ],
)
def test_redshift_copy_refuses_what_redshift_cannot_do(dbt_worker, tmp_path, vars, env, message):
    result = render_copy(dbt_worker, tmp_path, "staging_events", vars=vars, **env)
    assert result.returncode != 0
    assert message in result.output


def test_models_render_redshift_sql(dbt_worker, tmp_path):
    """The models that compile without a connection (not the incremental ones, which ask the warehouse
    whether they exist; the harness parses every statement dbt sends) compile on the redshift target and
    parse as Redshift SQL; the events' epoch-ms conversion renders as Redshift's."""
    args = ["compile", "--quiet", "--no-populate-cache", "--target", "redshift"]
    args += ["--indirect-selection", "empty"]
    args += ["--select", "stg_sparkify__songs", "dim_users", "dim_artists"]
    result = dbt_worker(args, tmp_path, base_env(SPARKIFY_IAM_ROLE=ROLE))
    assert result.returncode == 0, result.output[-3000:]
    compiled = sorted((tmp_path / "target" / "compiled").rglob("*.sql"))
    assert len(compiled) == 3
    for path in compiled:
        assert_parses_as_redshift(path.read_text(), tmp_path)
    inline = ["compile", "--quiet", "--no-populate-cache", "--target", "redshift", "--output", "json"]
    inline += ["--inline", "select {{ epoch_ms_to_timestamp('ts') }} as event_at from staging_events"]
    result = dbt_worker(inline, tmp_path, base_env(SPARKIFY_IAM_ROLE=ROLE))
    assert result.returncode == 0, result.output[-3000:]
    assert "timestamp 'epoch' + (ts / 1000) * interval '1 second'" in result.output


def test_analyses_render_redshift_sql(dbt_worker, tmp_path):
    """The analysts' queries compile on the redshift target and parse as Redshift SQL."""
    args = ["compile", "--quiet", "--no-populate-cache", "--target", "redshift", "--select", "path:analyses"]
    result = dbt_worker(args, tmp_path, base_env(SPARKIFY_IAM_ROLE=ROLE))
    assert result.returncode == 0, result.output[-3000:]
    compiled = sorted((tmp_path / "target" / "compiled" / "sparkify" / "analyses").glob("*.sql"))
    assert len(compiled) == len(list((PROJECT_DIR / "analyses").glob("*.sql"))) >= 5
    for path in compiled:
        assert_parses_as_redshift(path.read_text(), tmp_path)
