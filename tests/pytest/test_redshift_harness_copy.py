"""The harness's COPY behaves as Redshift documents it, statement by statement (no dbt involved).

Each test writes a few S3 objects, runs a COPY through redshift_connector and the proxy, and checks
the rows, stl_load_errors and the error text. Redshift references: COPY (r_COPY.html), COPY from
JSON (copy-usage_notes-copy-from-json.html), load errors (r_Load_Error_Reference.html).
"""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import HARNESS_BUCKET, HARNESS_IAM_ROLE

ROLE = f"iam_role '{HARNESS_IAM_ROLE}' region 'us-west-2'"
_prefixes = itertools.count(1)


@pytest.fixture
def redshift(redshift_harness):
    connection = redshift_harness.connect()
    cursor = connection.cursor()
    cursor.execute("create schema if not exists copy_semantics")
    cursor.execute("set search_path to copy_semantics")
    yield cursor
    connection.close()


@pytest.fixture
def put(s3_client, redshift_harness):
    """Writes objects under a fresh prefix; returns the prefix URI."""
    prefix = f"copy-tests/{next(_prefixes)}"

    def write(files: dict[str, bytes | str | dict]) -> str:
        for name, body in files.items():
            if isinstance(body, dict):
                body = json.dumps(body)
            s3_client.put_object(Bucket=HARNESS_BUCKET, Key=f"{prefix}/{name}", Body=body)
        return f"s3://{HARNESS_BUCKET}/{prefix}"

    return write


def rows(cursor, sql: str) -> list[tuple]:
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


def load_errors(cursor) -> list[tuple]:
    return rows(
        cursor,
        "select trim(filename), line_number, trim(colname), err_code, trim(err_reason), trim(raw_field_value)"
        " from stl_load_errors where query = pg_last_copy_id() order by filename, line_number",
    )


def create(cursor, table: str, columns: str) -> None:
    cursor.execute(f"drop table if exists {table}")
    cursor.execute(f"create table {table} ({columns})")


def test_prefix_match_loads_every_key_starting_with_it(redshift, put):
    root = put({"day-1.json": '{"a": 1}\n{"a": 2}', "day-10.json": '{"a": 3}', "other.json": '{"a": 4}'})
    create(redshift, "t_prefix", "a int")
    redshift.execute(f"copy t_prefix (a) from '{root}/day-1' {ROLE} format as json 'auto'")
    assert rows(redshift, "select a from t_prefix order by a") == [(1,), (2,), (3,)]


def test_prefix_without_objects_is_redshifts_error(redshift, put):
    root = put({"x.json": "{}"})
    create(redshift, "t_missing", "a int")
    with pytest.raises(Exception, match=r"The specified S3 prefix 'copy-tests/\d+/nothing' does not exist"):
        redshift.execute(f"copy t_missing (a) from '{root}/nothing' {ROLE} format as json 'auto'")


def test_auto_matches_keys_case_sensitively_and_ignorecase_does_not(redshift, put):
    root = put({"f.json": '{"userid": "1", "firstName": "Ann"}\n'})
    create(redshift, "t_case", "userid int, firstname varchar(10)")
    redshift.execute(f"copy t_case (userid, firstname) from '{root}' {ROLE} format as json 'auto'")
    assert rows(redshift, "select userid, firstname from t_case") == [(1, None)]
    redshift.execute("truncate t_case")
    redshift.execute(f"copy t_case (userid, firstname) from '{root}' {ROLE} format as json 'auto ignorecase'")
    assert rows(redshift, "select userid, firstname from t_case") == [(1, "Ann")]


def test_jsonpaths_map_positionally(redshift, put):
    root = put(
        {
            "data/f.json": '{"x": {"y": "deep"}, "n": 7, "list": [10, 20]}\n',
            "paths.json": {"jsonpaths": ["$['n']", "$.x.y", "$['list'][1]"]},
        }
    )
    create(redshift, "t_paths", "first int, second varchar(8), third int")
    paths = f"format as json '{root}/paths.json'"
    redshift.execute(f"copy t_paths (first, second, third) from '{root}/data' {ROLE} {paths}")
    assert rows(redshift, "select first, second, third from t_paths") == [(7, "deep", 20)]

    create(redshift, "t_paths_short", "first int, second varchar(8)")
    with pytest.raises(Exception, match=r"should match\. JSONPath size: 3, Number of columns"):
        redshift.execute(f"copy t_paths_short (first, second) from '{root}/data' {ROLE} {paths}")


def test_timeformat_epochmillisecs_and_auto(redshift, put):
    root = put({"f.json": '{"at": 1541903636796, "iso": "2018-11-11 02:33:56.796"}\n'})
    create(redshift, "t_time", "at timestamp")
    redshift.execute(f"copy t_time (at) from '{root}' {ROLE} format as json 'auto' timeformat 'epochmillisecs'")
    assert [str(r[0]) for r in rows(redshift, "select at from t_time")] == ["2018-11-11 02:33:56.796000"]
    create(redshift, "t_time_auto", "iso timestamp")
    redshift.execute(f"copy t_time_auto (iso) from '{root}' {ROLE} format as json 'auto' timeformat 'auto'")
    assert [str(r[0]) for r in rows(redshift, "select iso from t_time_auto")] == ["2018-11-11 02:33:56.796000"]


def test_blanksasnull_and_emptyasnull_apply_to_character_columns(redshift, put):
    root = put({"f.json": '{"a": "", "b": "  ", "c": "x"}\n'})
    create(redshift, "t_blank", "a varchar(4), b varchar(4), c varchar(4)")
    redshift.execute(f"copy t_blank (a, b, c) from '{root}' {ROLE} format as json 'auto'")
    assert rows(redshift, "select a, b, c from t_blank") == [("", "  ", "x")]
    redshift.execute("truncate t_blank")
    redshift.execute(f"copy t_blank (a, b, c) from '{root}' {ROLE} format as json 'auto' blanksasnull emptyasnull")
    assert rows(redshift, "select a, b, c from t_blank") == [(None, None, "x")]


def test_truncatecolumns_counts_bytes_not_characters(redshift, put):
    # 'Beyoncé Knowles': é is 2 bytes in UTF-8, so 8 bytes hold 'Beyonc' + nothing of 'é' cut in half.
    root = put({"f.json": json.dumps({"name": "Beyoncé Knowles"}, ensure_ascii=True) + "\n"})
    create(redshift, "t_trunc", "name varchar(7)")
    redshift.execute(f"copy t_trunc (name) from '{root}' {ROLE} format as json 'auto' truncatecolumns")
    assert rows(redshift, "select name, octet_length(name) from t_trunc") == [("Beyonc", 6)]
    create(redshift, "t_trunc_8", "name varchar(8)")
    redshift.execute(f"copy t_trunc_8 (name) from '{root}' {ROLE} format as json 'auto' truncatecolumns")
    assert rows(redshift, "select name from t_trunc_8") == [("Beyoncé",)]


def test_too_long_without_truncatecolumns_is_a_load_error(redshift, put):
    root = put({"f.json": '{"name": "Beyoncé"}\n'})
    create(redshift, "t_long", "name varchar(7)")
    with pytest.raises(Exception, match="Load into table 't_long' failed"):
        redshift.execute(f"copy t_long (name) from '{root}' {ROLE} format as json 'auto'")


def test_maxerror_keeps_good_lines_and_logs_each_bad_one_with_file_line_and_column(redshift, put):
    root = put({"f.json": '{"n": 1}\n{"n": "abc"}\n{"n": 3\n{"n": 4}\n'})
    create(redshift, "t_errors", "n int")
    redshift.execute(f"copy t_errors (n) from '{root}' {ROLE} format as json 'auto' maxerror 2")
    assert rows(redshift, "select n from t_errors order by n") == [(1,), (4,)]
    file = f"{root}/f.json"
    assert load_errors(redshift) == [
        (file, 2, "n", 1207, "Invalid digit, Value 'a', Pos 0, Type: Integer", "abc"),
        (file, 3, "", 1224, "Malformed JSON: the line is not one valid JSON object", ""),
    ]


def test_more_errors_than_maxerror_fails_the_whole_copy_naming_the_first(redshift, put):
    root = put({"f.json": '{"n": 1}\n{"n": "abc"}\n{"n": "x"}\n'})
    create(redshift, "t_maxerror", "n int")
    with pytest.raises(Exception, match="Load into table 't_maxerror' failed") as failure:
        redshift.execute(f"copy t_maxerror (n) from '{root}' {ROLE} format as json 'auto' maxerror 1")
    assert f"file: {root}/f.json; line: 2" in str(failure.value)
    assert rows(redshift, "select count(*) from t_maxerror") == [(0,)]


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        ("truncatecolumn", 'syntax error at or near "truncatecolumn"'),
        ("gzip", "COPY parameter GZIP is valid Redshift but not emulated"),
        ("manifest", "COPY parameter MANIFEST is valid Redshift but not emulated"),
        ("maxerror ten", 'syntax error at or near "ten"'),
    ],
)
def test_options_the_harness_cannot_honour_fail_loudly(redshift, put, clause, message):
    root = put({"f.json": '{"n": 1}\n'})
    create(redshift, "t_options", "n int")
    with pytest.raises(Exception, match=message.replace("(", r"\(")):
        redshift.execute(f"copy t_options (n) from '{root}' {ROLE} format as json 'auto' {clause}")


def test_a_bad_iam_role_is_rejected(redshift, put):
    root = put({"f.json": '{"n": 1}\n'})
    create(redshift, "t_role", "n int")
    with pytest.raises(Exception, match="Invalid IAM_ROLE ARN 'my-role'"):
        redshift.execute(f"copy t_role (n) from '{root}' iam_role 'my-role' format as json 'auto'")


# --- SYS views (provisioned and Serverless) and the Serverless mode -------------------------------


def test_sys_views_hold_the_copys_rejections_under_their_own_query_id(redshift, put):
    """SYS_LOAD_HISTORY has the session's COPY, SYS_LOAD_ERROR_DETAIL its rejections (documented columns), under
    a query_id that is not pg_last_copy_id(): AWS says SYS and STL ids are not the same identifier."""
    root = put({"f.json": '{"a": 1}\n{"a": "x"}\n'})
    create(redshift, "t_sys", "a int")
    redshift.execute(f"copy t_sys (a) from '{root}' {ROLE} format as json 'auto' maxerror 5")
    [(copy_id,)] = rows(redshift, "select pg_last_copy_id()")
    [(query_id, status, loaded, errors)] = rows(
        redshift,
        "select query_id, status, loaded_rows, error_count from sys_load_history"
        " where session_id = pg_backend_pid() order by query_id desc limit 1",
    )
    assert (status, loaded, errors) == ("completed", 1, 1)
    assert query_id != copy_id
    detail = rows(
        redshift,
        "select trim(file_name), line_number, trim(column_name), error_code, trim(error_message)"
        f" from sys_load_error_detail where query_id = {query_id} and session_id = pg_backend_pid()",
    )
    assert detail == [(f"{root}/f.json", 2, "a", 1207, "Invalid digit, Value 'x', Pos 0, Type: Integer")]
    assert rows(redshift, f"select count(*) from sys_load_error_detail where query_id = {copy_id}") == [(0,)]


def test_serverless_mode_refuses_stl_and_keeps_sys(redshift_serverless_harness):
    """As a Serverless workgroup: STL_LOAD_ERRORS and pg_last_copy_id() are refused (SQLSTATE 42501), SYS answers."""
    for sql in ("select count(*) from stl_load_errors", "select pg_last_copy_id()"):
        with pytest.raises(Exception, match="permission denied"):
            redshift_serverless_harness.query(sql)
    for view in ("sys_load_error_detail", "sys_load_history"):
        [(count,)] = redshift_serverless_harness.query(f"select count(*) from {view}")
        assert count >= 0


def test_provisioned_setting_on_serverless_fails_naming_stl(redshift_serverless_harness, dbt_worker, tmp_path):
    """The deployment kind is a setting, never guessed: the provisioned load (which joins STL for the raw line)
    fails on a Serverless workgroup instead of silently losing rejections; the serverless one loads."""
    from conftest import RedshiftWarehouse

    warehouse = RedshiftWarehouse(tmp_path, redshift_serverless_harness, "deployment_setting", runner=dbt_worker)
    window = {"data_interval_start": "2018-11-15T14:00:00+00:00", "data_interval_end": "2018-11-15T15:00:00+00:00"}
    args = ("run", "--select", "stg_sparkify__events")
    wrong = warehouse.dbt(*args, vars=window, SPARKIFY_REDSHIFT_DEPLOYMENT="provisioned")
    assert wrong.returncode != 0
    assert "permission denied for" in wrong.output
    right = warehouse.dbt(*args, vars=window)  # the harness's env says serverless
    assert right.returncode == 0, right.output[-3000:]
    assert warehouse.query("select count(*) from staging_events")[0][0] > 0
