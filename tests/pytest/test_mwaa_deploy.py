"""make deploy: the bundle's upload to a versioned bucket (moto_server) and the UpdateEnvironment that makes MWAA
apply it, with the MWAA API answered by botocore's Stubber (moto has no MWAA API)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber
from conftest import CREDENTIALS, PROJECT_DIR, base_env, create_bucket

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from deploy_mwaa import DeployError, deploy

DEPLOY = PROJECT_DIR / "scripts" / "deploy_mwaa.py"
ENVIRONMENT = "sparkify-prod"
VERSIONED = ("requirements.txt", "plugins.zip", "startup.sh")


@pytest.fixture
def bundle(tmp_path):
    """A bundle's shape (the real one is built in test_mwaa_bundle.py; its content does not matter here)."""
    root = tmp_path / "bundle"
    (root / "dags" / "dbt" / "sparkify" / "target").mkdir(parents=True)
    (root / "requirements.txt").write_text("--no-index\nastronomer-cosmos==1.15.1\n")
    (root / "plugins.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    (root / "startup.sh").write_text("export SPARKIFY_TARGET=redshift\n")
    (root / "dags" / "sparkify_dag.py").write_text('"""airflow dag"""\n')
    (root / "dags" / "dbt" / "sparkify" / "target" / "manifest.json").write_text("{}")
    return root


@pytest.fixture
def bucket(s3_client, request):
    name = create_bucket(s3_client, f"mwaa-{abs(hash(request.node.name)) % 10**10}")
    s3_client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def mwaa():
    """An MWAA client whose calls the Stubber answers and checks; `calls` records what UpdateEnvironment got, and
    which dags/ objects the bucket held at that moment."""
    client = boto3.client(
        "mwaa", region_name="us-west-2", **{k.lower(): v for k, v in CREDENTIALS.items() if "KEY" in k}
    )
    stub = Stubber(client)
    stub.calls = []
    stub.activate()
    yield stub
    stub.assert_no_pending_responses()


EARLIER, THIS = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)
FIELDS = {"requirements.txt": "Requirements", "plugins.zip": "Plugins", "startup.sh": "StartupScript"}


def environment(
    bucket: str,
    status: str = "AVAILABLE",
    versions: dict[str, str] | None = None,
    last: tuple[datetime, str] = (EARLIER, "SUCCESS"),
    error: tuple[str, str] | None = None,
) -> dict:
    """A GetEnvironment answer: its bucket, status, the versions it names, and its LastUpdate (when, outcome)."""
    settings = {
        "Name": ENVIRONMENT,
        "Status": status,
        "SourceBucketArn": f"arn:aws:s3:::{bucket}",
        "DagS3Path": "dags",
        "LastUpdate": {"CreatedAt": last[0], "Status": last[1]},
    }
    for name, version in (versions or {}).items():
        settings |= {f"{FIELDS[name]}S3Path": name, f"{FIELDS[name]}S3ObjectVersion": version}
    if error:
        settings["LastUpdate"]["Error"] = {"ErrorCode": error[0], "ErrorMessage": error[1]}
    return {"Environment": settings}


def expect_update(mwaa, s3_client, bucket: str, then: list[dict], names: tuple[str, ...] = VERSIONED) -> None:
    """UpdateEnvironment with new versions of names, then the GetEnvironment answers `then`. Like MWAA, every
    answer in `then` names the versions UpdateEnvironment was given (an applied update runs them; a test that
    wants other versions overrides them in its answer). Records the call's parameters and the dags/ objects the
    bucket held at that moment in mwaa.calls."""
    expected = {"Name": ENVIRONMENT}
    for name in names:
        expected |= {f"{FIELDS[name]}S3Path": name, f"{FIELDS[name]}S3ObjectVersion": ANY}
    mwaa.add_response(
        "update_environment", {"Arn": f"arn:aws:airflow:us-west-2:123:environment/{ENVIRONMENT}"}, expected
    )
    for answer in then:
        mwaa.add_response("get_environment", answer, {"Name": ENVIRONMENT})

    def record(params, **_):
        dags = s3_client.list_objects_v2(Bucket=bucket, Prefix="dags/").get("KeyCount", 0)
        mwaa.calls.append({"params": dict(params), "dags_objects": dags})
        for answer in then:
            sent = {k: v for k, v in params.items() if k.endswith("Version") or k.endswith("Path")}
            answer["Environment"] = sent | answer["Environment"]

    mwaa.client.meta.events.register("provide-client-params.mwaa.UpdateEnvironment", record)


def latest_versions(s3_client, bucket: str) -> dict[str, str]:
    return {name: s3_client.head_object(Bucket=bucket, Key=name)["VersionId"] for name in VERSIONED}


def dag_keys(s3_client, bucket: str) -> set[str]:
    return {o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket, Prefix="dags/").get("Contents", [])}


def test_deploy_names_the_new_versions_and_waits_until_they_run(bundle, bucket, s3_client, mwaa):
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    expect_update(
        mwaa,
        s3_client,
        bucket,
        then=[
            environment(bucket),  # not yet picked up: the earlier update's success is not this one's
            environment(bucket, "UPDATING", last=(THIS, "PENDING")),
            environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS")),
        ],
    )
    said: list[str] = []
    update = deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=said.append)

    versions = latest_versions(s3_client, bucket)
    sent = mwaa.calls[0]["params"]
    assert sent["RequirementsS3ObjectVersion"] == versions["requirements.txt"]
    assert sent["PluginsS3ObjectVersion"] == versions["plugins.zip"]
    assert sent["StartupScriptS3ObjectVersion"] == versions["startup.sh"]
    assert {"Name": ENVIRONMENT, **update} == sent
    assert mwaa.calls[0]["dags_objects"] == 0  # DAGs go up only once the environment runs the new versions
    assert dag_keys(s3_client, bucket) == {"dags/sparkify_dag.py", "dags/dbt/sparkify/target/manifest.json"}
    assert said.count(f"environment {ENVIRONMENT}: AVAILABLE") == 1
    assert said.count(f"environment {ENVIRONMENT}: UPDATING") == 1
    assert f"environment {ENVIRONMENT} is AVAILABLE with the new versions" in said


def test_an_earlier_failed_update_does_not_stop_this_one(bundle, bucket, s3_client, mwaa):
    """UPDATE_FAILED from last week: MWAA takes a new update, and its old error is not this update's outcome."""
    old = ("INCORRECT_CONFIGURATION", "last week's plugins.zip")
    mwaa.add_response(
        "get_environment",
        environment(bucket, "UPDATE_FAILED", last=(EARLIER, "FAILED"), error=old),
        {"Name": ENVIRONMENT},
    )
    expect_update(
        mwaa,
        s3_client,
        bucket,
        then=[
            environment(bucket, "UPDATING", last=(EARLIER, "FAILED"), error=old),
            environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS")),
        ],
    )
    deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    assert len(dag_keys(s3_client, bucket)) == 2


def test_a_second_deploy_of_the_same_bundle_leaves_the_environment_alone(bundle, bucket, s3_client, mwaa):
    """Unchanged requirements, plugins and startup script: no upload of them, no UpdateEnvironment (an update
    replaces every container); the DAGs still go up. Unchanged means the SHA-256 a deploy stored with them."""
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    expect_update(mwaa, s3_client, bucket, then=[environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS"))])
    deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    running = latest_versions(s3_client, bucket)
    mwaa.add_response(
        "get_environment", environment(bucket, versions=running, last=(THIS, "SUCCESS")), {"Name": ENVIRONMENT}
    )
    said: list[str] = []
    assert deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=said.append) == {}
    assert latest_versions(s3_client, bucket) == running
    assert any("no environment update" in line for line in said)


def test_a_file_put_there_by_hand_counts_as_changed(bundle, bucket, s3_client, mwaa):
    """Same bytes, but no SHA-256 stored by a deploy (e.g. a multipart upload, whose ETag is no checksum): it is
    uploaded again rather than trusted."""
    for name in VERSIONED:
        s3_client.put_object(Bucket=bucket, Key=name, Body=(bundle / name).read_bytes())
    running = latest_versions(s3_client, bucket)
    mwaa.add_response("get_environment", environment(bucket, versions=running), {"Name": ENVIRONMENT})
    expect_update(mwaa, s3_client, bucket, then=[environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS"))])
    update = deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    assert update["PluginsS3ObjectVersion"] != running["plugins.zip"]


def test_only_the_changed_file_gets_a_new_version(bundle, bucket, s3_client, mwaa):
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    expect_update(mwaa, s3_client, bucket, then=[environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS"))])
    deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    running = latest_versions(s3_client, bucket)
    (bundle / "startup.sh").write_text("export SPARKIFY_TARGET=redshift\nexport DO_NOT_TRACK=1\n")
    mwaa.add_response(
        "get_environment", environment(bucket, versions=running, last=(THIS, "SUCCESS")), {"Name": ENVIRONMENT}
    )
    later = datetime(2026, 12, 4, tzinfo=UTC)
    expect_update(
        mwaa, s3_client, bucket, then=[environment(bucket, "AVAILABLE", last=(later, "SUCCESS"))], names=("startup.sh",)
    )
    update = deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    new = latest_versions(s3_client, bucket)["startup.sh"]
    assert update == {"StartupScriptS3Path": "startup.sh", "StartupScriptS3ObjectVersion": new}
    assert new != running["startup.sh"]


def test_a_failed_update_reports_mwaas_reason_and_keeps_the_old_dags(bundle, bucket, s3_client, mwaa):
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    reason = ("INCORRECT_CONFIGURATION", "requirements.txt could not be installed: ResolutionImpossible")
    expect_update(
        mwaa, s3_client, bucket, then=[environment(bucket, "UPDATE_FAILED", last=(THIS, "FAILED"), error=reason)]
    )
    with pytest.raises(DeployError) as raised:
        deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    assert str(raised.value) == (
        f"MWAA did not apply the update to {ENVIRONMENT} (UPDATE_FAILED): INCORRECT_CONFIGURATION:"
        " requirements.txt could not be installed: ResolutionImpossible"
    )
    assert dag_keys(s3_client, bucket) == set()


def test_available_with_other_versions_is_a_failure(bundle, bucket, s3_client, mwaa):
    """MWAA rolled back by itself: AVAILABLE, but not with what was deployed."""
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    rolled_back = environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS"))
    rolled_back["Environment"]["PluginsS3ObjectVersion"] = "the-previous-version"
    expect_update(mwaa, s3_client, bucket, then=[rolled_back])
    with pytest.raises(DeployError, match=f"^{ENVIRONMENT} is AVAILABLE but does not run the deployed versions: "):
        deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    assert dag_keys(s3_client, bucket) == set()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"Status": "UPDATING"}, f"{ENVIRONMENT} is UPDATING: MWAA takes an update only when AVAILABLE"),
        ({"SourceBucketArn": "arn:aws:s3:::someone-else"}, f"{ENVIRONMENT} reads arn:aws:s3:::someone-else, not s3://"),
        ({"DagS3Path": "airflow/dags"}, f"{ENVIRONMENT} reads DAGs from 'airflow/dags'; the bundle's are under dags/"),
    ],
)
def test_an_environment_that_cannot_take_this_bundle_is_refused_before_any_upload(
    bundle, bucket, s3_client, mwaa, answer, message
):
    settings = environment(bucket)
    settings["Environment"] |= answer
    mwaa.add_response("get_environment", settings, {"Name": ENVIRONMENT})
    with pytest.raises(DeployError, match=f"^{message}"):
        deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, say=lambda _: None)
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_dags_the_bundle_no_longer_has_are_deleted_but_not_other_teams(bundle, bucket, s3_client, mwaa):
    for key in ("dags/sparkify_old_dag.py", "dags/dbt/sparkify/models/removed_model.sql", "dags/other_team_dag.py"):
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    expect_update(mwaa, s3_client, bucket, then=[environment(bucket, "AVAILABLE", last=(THIS, "SUCCESS"))])
    said: list[str] = []
    deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=said.append)
    assert dag_keys(s3_client, bucket) == {
        "dags/sparkify_dag.py",
        "dags/dbt/sparkify/target/manifest.json",
        "dags/other_team_dag.py",
    }
    assert f"deleted s3://{bucket}/dags/dbt/sparkify/models/removed_model.sql: no longer in the bundle" in said


def test_a_bucket_without_versioning_is_refused_before_any_upload(bundle, s3_client, mwaa):
    name = create_bucket(s3_client, f"mwaa-unversioned-{abs(hash(str(bundle))) % 10**8}")
    mwaa.add_response("get_environment", environment(name), {"Name": ENVIRONMENT})
    with pytest.raises(DeployError, match=f"s3://{name} has no versioning: MWAA needs it"):
        deploy(bundle, name, ENVIRONMENT, s3_client, mwaa.client, say=lambda _: None)
    assert s3_client.list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_dry_run_prints_the_plan_and_changes_nothing(bundle, bucket, s3_client, mwaa):
    s3_client.put_object(Bucket=bucket, Key="dags/sparkify_old_dag.py", Body=b"x")
    mwaa.add_response("get_environment", environment(bucket), {"Name": ENVIRONMENT})
    said: list[str] = []
    deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, dry_run=True, say=said.append)
    assert (
        f"would upload plugins.zip -> s3://{bucket}/plugins.zip and name its new version in UpdateEnvironment" in said
    )
    assert any(line.startswith(f"would call UpdateEnvironment(Name={ENVIRONMENT}") for line in said)
    assert f"would upload dags/sparkify_dag.py -> s3://{bucket}/dags/sparkify_dag.py" in said
    assert f"would delete s3://{bucket}/dags/sparkify_old_dag.py: no longer in the bundle" in said
    assert dag_keys(s3_client, bucket) == {"dags/sparkify_old_dag.py"}
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_an_incomplete_bundle_is_refused(tmp_path, s3_client, mwaa):
    with pytest.raises(DeployError, match=r"is not an MWAA bundle \(missing \['requirements.txt', 'plugins.zip'"):
        deploy(tmp_path, "any-bucket", ENVIRONMENT, s3_client, mwaa.client, say=lambda _: None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bucket", "s3://my-bucket/dags", "--environment", ENVIRONMENT], "--bucket 's3://my-bucket/dags': expected"),
        (["--bucket", "my-bucket", "--environment", "prod; rm -rf"], "--environment 'prod; rm -rf': expected an MWAA"),
    ],
)
def test_deploy_command_line_refuses_bad_names(args, message):
    done = subprocess.run([sys.executable, str(DEPLOY), *args], env=base_env(), capture_output=True, text=True)
    assert done.returncode == 2
    assert message in done.stderr
