"""The original design's deployment, end to end offline: Redshift Serverless with IAM authentication.

dbt runs the profiles.yml target redshift_serverless_iam with no user and no password configured. dbt-redshift's
IAM method and redshift_connector's IAM path run unchanged: redshift_connector asks Redshift Serverless for
temporary credentials (GetCredentials, answered by botocore's Stubber in the dbt process: stubbed_iam_dbt.py),
then logs in with them over TLS (redshift_connector refuses IAM without SSL) to the harness in Serverless mode,
which knows that temporary user. What only a real workgroup can prove: docs/testing.md.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import pytest
from conftest import ALL_TABLES, HOURLY_SELECTION, RedshiftWarehouse, Warehouse, run_dbt

HOUR = {"data_interval_start": "2018-11-15T14:00:00+00:00", "data_interval_end": "2018-11-15T15:00:00+00:00"}
WORKGROUP = "sparkify-wg"
LAUNCHER = [sys.executable, str(Path(__file__).with_name("stubbed_iam_dbt.py"))]


class IamLogin:
    """A temporary database user as GetCredentials would name it, known to the harness, and the settings of
    target redshift_serverless_iam: no REDSHIFT_USER, no REDSHIFT_PASSWORD, TLS verified against the harness CA."""

    def __init__(self, harness, schema: str, workdir: Path) -> None:
        self.user = f"IAMR:sparkify-mwaa-{secrets.token_hex(3)}"  # what Serverless calls an IAM role's user
        self.report = workdir / "get_credentials.json"
        password = secrets.token_urlsafe(18)
        harness.add_login(self.user, password)
        self.settings = harness.env(schema, tls=True)
        del self.settings["REDSHIFT_USER"], self.settings["REDSHIFT_PASSWORD"]
        self.settings.update(
            REDSHIFT_WORKGROUP=WORKGROUP,
            REDSHIFT_REGION="us-west-2",
            STUB_GET_CREDENTIALS=json.dumps(
                {"workgroup": WORKGROUP, "db_name": "dev", "db_user": self.user, "report": str(self.report)}
            ),
            STUB_DB_PASSWORD=password,  # base_env registers it: the session's secret scan looks for it
        )

    def aws(self) -> dict:
        """{"clients": [{"service", "region"} per client redshift_connector made], "get_credentials": calls}"""
        return json.loads(self.report.read_text())


def stubbed_dbt(args: list[str], workdir: Path, env: dict[str, str]):
    return run_dbt(args, workdir, env, program=LAUNCHER)


def sessions_of(statements: list[dict]) -> dict[int, dict]:
    return {s["conn"]: {"user": s["user"], "tls": s["tls"]} for s in statements}


@pytest.fixture
def iam_warehouse(tmp_path, redshift_serverless_harness):
    def make(schema: str) -> tuple[RedshiftWarehouse, IamLogin]:
        login = IamLogin(redshift_serverless_harness, schema, tmp_path)
        warehouse = RedshiftWarehouse(
            tmp_path / schema,
            redshift_serverless_harness,
            schema,
            runner=stubbed_dbt,
            target="redshift_serverless_iam",
            settings=login.settings,
        )
        return warehouse, login

    return make


def test_dbt_debug_connects_through_serverless_iam(iam_warehouse, redshift_serverless_harness):
    warehouse, login = iam_warehouse("iam_debug")
    first = len(redshift_serverless_harness.statements())
    done = warehouse.dbt("debug")
    assert done.returncode == 0, done.output[-3000:]
    assert "Connection test: [OK connection ok]" in done.output
    # One GetCredentials call for the workgroup, from us-west-2 (the Stubber checked dbName and workgroupName).
    assert login.aws() == {"clients": [{"service": "redshift-serverless", "region": "us-west-2"}], "get_credentials": 1}
    sessions = sessions_of(redshift_serverless_harness.statements()[first:])
    assert sessions
    assert all(s == {"user": login.user, "tls": True} for s in sessions.values()), sessions


def test_window_build_through_serverless_iam_equals_the_duckdb_window(
    iam_warehouse, redshift_serverless_harness, new_warehouse
):
    warehouse, login = iam_warehouse("iam_window")
    first = len(redshift_serverless_harness.statements())
    done = warehouse.dbt("build", *HOURLY_SELECTION, vars=HOUR)
    assert done.returncode == 0, done.output[-3000:]
    statements = redshift_serverless_harness.statements()[first:]
    duckdb: Warehouse = new_warehouse("duckdb_window")
    duckdb.build(*HOURLY_SELECTION, vars=HOUR)

    got, expected = warehouse.snapshot(), duckdb.snapshot()
    for table in ALL_TABLES:
        assert len(got[table]) == len(expected[table]) > 0, table
        assert got[table] == expected[table], table
    # Every session of the build was the temporary IAM user over TLS. redshift_connector opens a session per
    # node, but asks AWS once per process (or once per thread racing to the first connect): its cache answers.
    sessions = sessions_of(statements)
    assert all(s == {"user": login.user, "tls": True} for s in sessions.values()), sessions
    aws = login.aws()
    assert {(c["service"], c["region"]) for c in aws["clients"]} == {("redshift-serverless", "us-west-2")}
    assert len(aws["clients"]) == len(sessions) > 4
    assert 1 <= aws["get_credentials"] <= 4  # threads: 4 in profiles.yml
    # Both COPYs (songs, events) ran in the IAM user's sessions.
    copies = [s for s in statements if s["sql"].lstrip().lower().startswith("copy")]
    assert len(copies) == 2
    assert {s["user"] for s in copies} == {login.user}


def test_without_tls_the_iam_target_refuses_to_connect(iam_warehouse):
    """sslmode disable with IAM: redshift_connector's own refusal, before any credentials call, reaches the user."""
    warehouse, login = iam_warehouse("iam_no_tls")
    done = warehouse.dbt("debug", REDSHIFT_SSLMODE="disable")
    assert done.returncode != 0
    assert "SSL must be enabled when using IAM" in done.output, done.output[-3000:]
    assert not login.report.exists() or login.aws()["get_credentials"] == 0
