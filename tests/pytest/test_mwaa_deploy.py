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


def environment(status: str, versions: dict[str, str] | None = None, error: tuple[str, str] | None = None) -> dict:
    settings = {
        "Name": ENVIRONMENT,
        "Status": status,
        "LastUpdate": {"Status": "SUCCESS" if status == "AVAILABLE" else "PENDING"},
    }
    fields = {"requirements.txt": "Requirements", "plugins.zip": "Plugins", "startup.sh": "StartupScript"}
    for name, version in (versions or {}).items():
        settings |= {f"{fields[name]}S3Path": name, f"{fields[name]}S3ObjectVersion": version}
    if error:
        settings["LastUpdate"] = {"Status": "FAILED", "Error": {"ErrorCode": error[0], "ErrorMessage": error[1]}}
    settings["LastUpdate"]["CreatedAt"] = datetime(2026, 12, 3, tzinfo=UTC)
    return {"Environment": settings}


def expect_update(mwaa, s3_client, bucket: str) -> None:
    mwaa.add_response(
        "update_environment",
        {"Arn": f"arn:aws:airflow:us-west-2:123456789012:environment/{ENVIRONMENT}"},
        {
            "Name": ENVIRONMENT,
            "RequirementsS3Path": "requirements.txt",
            "RequirementsS3ObjectVersion": ANY,
            "PluginsS3Path": "plugins.zip",
            "PluginsS3ObjectVersion": ANY,
            "StartupScriptS3Path": "startup.sh",
            "StartupScriptS3ObjectVersion": ANY,
        },
    )

    def record(params, **_):
        dags = s3_client.list_objects_v2(Bucket=bucket, Prefix="dags/").get("KeyCount", 0)
        mwaa.calls.append({"params": params, "dags_objects": dags})

    mwaa.client.meta.events.register("provide-client-params.mwaa.UpdateEnvironment", record)


def latest_versions(s3_client, bucket: str) -> dict[str, str]:
    return {name: s3_client.head_object(Bucket=bucket, Key=name)["VersionId"] for name in VERSIONED}


def test_deploy_names_the_new_versions_and_waits_until_available(bundle, bucket, s3_client, mwaa):
    mwaa.add_response("get_environment", environment("AVAILABLE"), {"Name": ENVIRONMENT})
    expect_update(mwaa, s3_client, bucket)
    for status in ("UPDATING", "UPDATING", "AVAILABLE"):
        mwaa.add_response("get_environment", environment(status), {"Name": ENVIRONMENT})
    said: list[str] = []
    update = deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=said.append)

    versions = latest_versions(s3_client, bucket)
    assert mwaa.calls[0]["params"]["RequirementsS3ObjectVersion"] == versions["requirements.txt"]
    assert mwaa.calls[0]["params"]["PluginsS3ObjectVersion"] == versions["plugins.zip"]
    assert mwaa.calls[0]["params"]["StartupScriptS3ObjectVersion"] == versions["startup.sh"]
    assert {"Name": ENVIRONMENT, **update} == mwaa.calls[0]["params"]
    assert mwaa.calls[0]["dags_objects"] == 0  # DAGs go up only once the environment runs the new versions
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"dags/sparkify_dag.py", "dags/dbt/sparkify/target/manifest.json"} <= keys
    assert said.count(f"environment {ENVIRONMENT}: UPDATING") == 2
    assert f"environment {ENVIRONMENT} is AVAILABLE with the new versions" in said


def test_a_second_deploy_of_the_same_bundle_leaves_the_environment_alone(bundle, bucket, s3_client, mwaa):
    """Unchanged requirements, plugins and startup script: no upload of them, no UpdateEnvironment (an update
    restarts every container); the DAGs still go up."""
    for name in VERSIONED:
        s3_client.put_object(Bucket=bucket, Key=name, Body=(bundle / name).read_bytes())
    running = latest_versions(s3_client, bucket)
    mwaa.add_response("get_environment", environment("AVAILABLE", running), {"Name": ENVIRONMENT})
    said: list[str] = []
    assert deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=said.append) == {}
    assert latest_versions(s3_client, bucket) == running
    assert any("no environment update" in line for line in said)
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix="dags/")["KeyCount"] == 2


def test_only_the_changed_file_gets_a_new_version(bundle, bucket, s3_client, mwaa):
    for name in VERSIONED:
        s3_client.put_object(Bucket=bucket, Key=name, Body=(bundle / name).read_bytes())
    running = latest_versions(s3_client, bucket)
    (bundle / "startup.sh").write_text("export SPARKIFY_TARGET=redshift\nexport DO_NOT_TRACK=1\n")
    mwaa.add_response("get_environment", environment("AVAILABLE", running), {"Name": ENVIRONMENT})
    mwaa.add_response(
        "update_environment",
        {"Arn": f"arn:aws:airflow:us-west-2:123456789012:environment/{ENVIRONMENT}"},
        {"Name": ENVIRONMENT, "StartupScriptS3Path": "startup.sh", "StartupScriptS3ObjectVersion": ANY},
    )
    mwaa.add_response("get_environment", environment("AVAILABLE"), {"Name": ENVIRONMENT})
    update = deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    assert (
        update["StartupScriptS3ObjectVersion"]
        == latest_versions(s3_client, bucket)["startup.sh"]
        != running["startup.sh"]
    )


def test_a_failed_update_reports_mwaas_reason_and_keeps_the_old_dags(bundle, bucket, s3_client, mwaa):
    mwaa.add_response("get_environment", environment("AVAILABLE"), {"Name": ENVIRONMENT})
    expect_update(mwaa, s3_client, bucket)
    reason = ("INCORRECT_CONFIGURATION", "requirements.txt could not be installed: ResolutionImpossible")
    mwaa.add_response("get_environment", environment("UPDATE_FAILED", error=reason), {"Name": ENVIRONMENT})
    with pytest.raises(DeployError) as raised:
        deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, poll_seconds=0, say=lambda _: None)
    assert str(raised.value) == (
        f"MWAA did not apply the update to {ENVIRONMENT} (UPDATE_FAILED): INCORRECT_CONFIGURATION:"
        " requirements.txt could not be installed: ResolutionImpossible"
    )
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix="dags/")["KeyCount"] == 0


def test_a_bucket_without_versioning_is_refused_before_any_upload(bundle, s3_client, mwaa):
    name = create_bucket(s3_client, "mwaa-unversioned")
    with pytest.raises(DeployError, match="s3://mwaa-unversioned has no versioning: MWAA needs it"):
        deploy(bundle, name, ENVIRONMENT, s3_client, mwaa.client, say=lambda _: None)
    assert s3_client.list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_dry_run_prints_the_plan_and_changes_nothing(bundle, bucket, s3_client, mwaa):
    mwaa.add_response("get_environment", environment("AVAILABLE"), {"Name": ENVIRONMENT})
    said: list[str] = []
    deploy(bundle, bucket, ENVIRONMENT, s3_client, mwaa.client, dry_run=True, say=said.append)
    assert (
        f"would upload plugins.zip -> s3://{bucket}/plugins.zip and name its new version in UpdateEnvironment" in said
    )
    assert any(line.startswith(f"would call UpdateEnvironment(Name={ENVIRONMENT}") for line in said)
    assert f"would upload dags/sparkify_dag.py -> s3://{bucket}/dags/sparkify_dag.py" in said
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


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
