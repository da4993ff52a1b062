"""The four Redshift targets of profiles.yml (provisioned or Serverless, password or IAM), as dbt-redshift turns
them into a redshift_connector connection, offline.

Each target is read from the real profiles.yml with its environment, through dbt's own profile renderer and
dbt-redshift's connection method; redshift_connector runs for real up to the socket (its Connection class is
replaced by a recorder). For the IAM targets, botocore's Stubber answers the AWS call redshift_connector makes
and checks its parameters (moto has no Redshift Serverless API): the temporary user and password the call
returns are what the connection uses, and no password is configured anywhere.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from conftest import CREDENTIALS, PROJECT_DIR

CLUSTER_HOST = "sparkify.abc123xyz.us-west-2.redshift.amazonaws.com"
WORKGROUP_HOST = "sparkify-wg.123456789012.us-west-2.redshift-serverless.amazonaws.com"
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
# Made per run: what the AWS stub returns, or the environment holds, must be what the connection gets.
TEMPORARY = secrets.token_urlsafe(12)
FROM_ENV = secrets.token_urlsafe(12)
COMMON = {"REDSHIFT_PORT": "5439", "REDSHIFT_DATABASE": "dev", "REDSHIFT_SCHEMA": "sparkify"}


@pytest.fixture
def profile_env(monkeypatch) -> Callable:
    """Sets exactly the given REDSHIFT_* variables (every other one removed) and returns dbt's credentials."""
    from dbt.adapters.factory import load_plugin
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    load_plugin("redshift")
    set_from_args(type("Args", (), {})(), None)

    def credentials(target: str, env: dict[str, str]):
        for name in [n for n in os.environ if n.startswith(("REDSHIFT_", "AWS_"))]:
            monkeypatch.delenv(name)
        for name, value in {**COMMON, **env}.items():
            monkeypatch.setenv(name, value)
        set_invocation_context(dict(os.environ))  # what dbt's env_var() reads
        raw = read_profile(str(PROJECT_DIR))
        profile = Profile.from_raw_profiles(raw, "sparkify", ProfileRenderer({}), target_override=target)
        return profile.credentials

    return credentials


@pytest.fixture
def connect(monkeypatch):
    """Runs dbt-redshift's connection method for credentials; returns what redshift_connector.Connection got."""
    import redshift_connector
    from dbt.adapters.redshift.connections import get_connection_method
    from redshift_connector.iam_helper import IamHelper

    seen: dict = {}

    class Recorder:
        autocommit = False

        def __init__(self, **kwargs) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(redshift_connector, "Connection", Recorder)
    IamHelper.credentials_cache.clear()  # redshift_connector caches temporary credentials per process

    def run(credentials) -> dict:
        seen.clear()
        get_connection_method(credentials)()
        return dict(seen)

    yield run
    IamHelper.credentials_cache.clear()


@pytest.fixture
def aws(monkeypatch):
    """A Stubber on the boto3 client redshift_connector creates (boto3.session.Session.client)."""
    stubs = {}

    def stub(service: str) -> Stubber:
        client = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name="us-west-2",
        ).client(service)
        stubs[service] = Stubber(client)
        stubs[service].activate()
        monkeypatch.setattr(
            boto3.session.Session, "client", lambda self, service_name=None, **kw: stubs[service_name].client
        )
        return stubs[service]

    yield stub
    for stubber in stubs.values():
        stubber.assert_no_pending_responses()


def test_provisioned_password(profile_env, connect):
    creds = profile_env(
        "redshift", {"REDSHIFT_HOST": CLUSTER_HOST, "REDSHIFT_USER": "sparkify", "REDSHIFT_PASSWORD": FROM_ENV}
    )
    got = connect(creds)
    assert (got["host"], got["port"], got["database"], got["user"], got["password"]) == (
        CLUSTER_HOST, 5439, "dev", "sparkify", FROM_ENV
    )  # fmt: skip
    assert got["ssl"] is True
    assert not got.get("iam")


def test_serverless_password_says_serverless_without_guessing(profile_env, connect):
    """is_serverless comes from the target, not from the host's name: an endpoint behind a private DNS name or
    an NLB is still a workgroup."""
    creds = profile_env(
        "redshift_serverless",
        {"REDSHIFT_HOST": "warehouse.internal.example", "REDSHIFT_USER": "admin", "REDSHIFT_PASSWORD": FROM_ENV},
    )
    assert creds.is_serverless is True
    got = connect(creds)
    assert (got["host"], got["user"], got["password"]) == ("warehouse.internal.example", "admin", FROM_ENV)


def test_provisioned_iam_uses_get_cluster_credentials(profile_env, connect, aws):
    creds = profile_env(
        "redshift_iam",
        {"REDSHIFT_HOST": CLUSTER_HOST, "REDSHIFT_USER": "sparkify", "REDSHIFT_CLUSTER_ID": "sparkify-cluster"},
    )
    assert creds.password is None
    aws("redshift").add_response(
        "get_cluster_credentials",
        {"DbUser": "IAM:sparkify", "DbPassword": TEMPORARY, "Expiration": EXPIRES},
        {
            "DbUser": "sparkify",
            "DbName": "dev",
            "DbGroups": [],
            "AutoCreate": False,
            "ClusterIdentifier": "sparkify-cluster",
        },
    )
    got = connect(creds)
    assert (got["host"], got["user"], got["password"]) == (CLUSTER_HOST, "IAM:sparkify", TEMPORARY)
    assert got["ssl"] is True  # redshift_connector refuses IAM without SSL


def test_serverless_iam_uses_get_credentials_of_the_workgroup(profile_env, connect, aws):
    creds = profile_env(
        "redshift_serverless_iam", {"REDSHIFT_HOST": WORKGROUP_HOST, "REDSHIFT_WORKGROUP": "sparkify-wg"}
    )
    assert (creds.is_serverless, creds.serverless_work_group, creds.password) == (True, "sparkify-wg", None)
    aws("redshift-serverless").add_response(
        "get_credentials",
        {"dbUser": "IAMR:sparkify-mwaa", "dbPassword": TEMPORARY, "expiration": EXPIRES},
        {"dbName": "dev", "workgroupName": "sparkify-wg"},
    )
    got = connect(creds)
    assert (got["host"], got["user"], got["password"]) == (WORKGROUP_HOST, "IAMR:sparkify-mwaa", TEMPORARY)


@pytest.mark.parametrize("target", ["redshift", "redshift_iam", "redshift_serverless", "redshift_serverless_iam"])
def test_every_target_reads_its_settings_from_the_environment_only(target):
    """No host, user, password, cluster or workgroup is written in profiles.yml: each is an env_var() call."""
    import yaml

    output = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())["sparkify"]["outputs"][target]
    for field in ("host", "user", "password", "cluster_id", "serverless_work_group", "dbname", "region"):
        if field in output:
            assert str(output[field]).startswith("{{ env_var('REDSHIFT_"), (field, output[field])


@pytest.mark.parametrize("target", ["redshift", "redshift_iam", "redshift_serverless", "redshift_serverless_iam"])
def test_no_target_puts_a_time_limit_on_a_statement(profile_env, connect, aws, target):
    """redshift_connector applies its `timeout` (dbt-redshift's connect_timeout) to every socket read, not only to
    the connect: a COPY of song_data or a large insert that runs longer would fail "timed out" (dbt-redshift #427).
    A hung statement is bounded by the DAG's execution_timeout instead (docs/airflow.md "DAG settings")."""
    env = {"REDSHIFT_HOST": CLUSTER_HOST, "REDSHIFT_USER": "sparkify", "REDSHIFT_PASSWORD": FROM_ENV}
    env |= {"REDSHIFT_CLUSTER_ID": "sparkify-cluster", "REDSHIFT_WORKGROUP": "sparkify-wg"}
    creds = profile_env(target, env)
    if target == "redshift_iam":
        aws("redshift").add_response(
            "get_cluster_credentials", {"DbUser": "IAM:sparkify", "DbPassword": TEMPORARY, "Expiration": EXPIRES}
        )
    elif target == "redshift_serverless_iam":
        aws("redshift-serverless").add_response(
            "get_credentials", {"dbUser": "IAMR:sparkify-mwaa", "dbPassword": TEMPORARY, "expiration": EXPIRES}
        )
    assert connect(creds)["timeout"] is None
