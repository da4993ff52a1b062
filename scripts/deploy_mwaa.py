"""Deploys a built MWAA bundle (make mwaa-bundle) to an environment, and makes MWAA apply it.

    python scripts/deploy_mwaa.py --bundle dist/mwaa --bucket BUCKET --environment ENV [--dry-run]

MWAA reads requirements.txt, plugins.zip and startup.sh only at the S3 object versions the environment names,
so uploading them is not enough. In order:
1. check the environment: it must read this bucket with DAG folder dags/, and be AVAILABLE (or UPDATE_FAILED),
   the states in which MWAA accepts an update; the bucket must have versioning on;
2. put requirements.txt, plugins.zip and startup.sh at the bucket root with their SHA-256 in the object's
   metadata, keeping the version id S3 gives each; a file whose SHA-256 is that of the version the
   environment runs is not uploaded again;
3. if any of the three changed: UpdateEnvironment with the new versions, then wait until the environment is
   AVAILABLE with exactly those versions, or stop with the reason MWAA gives for this update (LastUpdate.Error;
   an older update's outcome is not taken for this one's);
4. upload dags/ (the DAG package and the dbt project first, the DAG files last), which MWAA picks up by itself,
   and delete what an earlier deploy left under this project's own keys (dags/sparkify_*.py,
   dags/sparkify_pipeline/, dags/dbt/sparkify/) that the bundle no longer has. The DAGs go last, so a failed
   update leaves the DAGs that match the running environment (after a timeout, rerun the deploy once MWAA is done).

--dry-run reads the environment and the bucket, prints the plan and changes nothing. AWS credentials and region
come from the usual AWS environment. Roll back: docs/mwaa.md.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ENVIRONMENT_NAME = re.compile(r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")  # MWAA's own rule for Name
# The files MWAA applies only through UpdateEnvironment, and the parameters that name them.
VERSIONED = {
    "requirements.txt": ("RequirementsS3Path", "RequirementsS3ObjectVersion"),
    "plugins.zip": ("PluginsS3Path", "PluginsS3ObjectVersion"),
    "startup.sh": ("StartupScriptS3Path", "StartupScriptS3ObjectVersion"),
}
ACCEPTS_UPDATES = {"AVAILABLE", "UPDATE_FAILED"}
FAILED = {"UPDATE_FAILED", "ROLLING_BACK", "CREATE_FAILED", "UNAVAILABLE", "DELETING", "DELETED"}
# Keys under dags/ that belong to this project: what a deploy may delete when the bundle no longer has them.
OWNED = re.compile(r"^dags/(sparkify_[A-Za-z0-9_]*\.py|sparkify_pipeline/.+|dbt/sparkify/.+)$")


class DeployError(Exception):
    pass


def bundle_files(bundle: Path) -> tuple[dict[str, Path], list[tuple[Path, str]]]:
    """({versioned key: file}, [(file, key)] for dags/ in upload order), from a bundle folder."""
    missing = [name for name in VERSIONED if not (bundle / name).is_file()]
    if missing or not (bundle / "dags").is_dir():
        raise DeployError(f"{bundle} is not an MWAA bundle (missing {missing or ['dags/']}): run make mwaa-bundle")
    dags = [(p, p.relative_to(bundle).as_posix()) for p in (bundle / "dags").rglob("*") if p.is_file()]

    def upload_order(item: tuple[Path, str]) -> tuple[bool, bool, str]:
        key = item[1]  # the DAG files (dags/*.py) last, the manifest last of the dbt project
        return key.count("/") == 1 and key.endswith(".py"), key.endswith("manifest.json"), key

    return {name: bundle / name for name in VERSIONED}, sorted(dags, key=upload_order)


def checked_environment(mwaa, environment: str, bucket: str) -> dict:
    """The environment's settings, if it reads this bucket and DAG folder and accepts an update now."""
    settings = mwaa.get_environment(Name=environment)["Environment"]
    source = settings.get("SourceBucketArn", f"arn:aws:s3:::{bucket}")
    if source != f"arn:aws:s3:::{bucket}":
        raise DeployError(f"{environment} reads {source}, not s3://{bucket}: deploy to its own bucket")
    if settings.get("DagS3Path", "dags").strip("/") != "dags":
        raise DeployError(f"{environment} reads DAGs from {settings['DagS3Path']!r}; the bundle's are under dags/")
    if settings["Status"] not in ACCEPTS_UPDATES:
        raise DeployError(f"{environment} is {settings['Status']}: MWAA takes an update only when AVAILABLE")
    return settings


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unchanged(s3, bucket: str, key: str, version: str | None, digest: str) -> bool:
    """True if the version the environment runs holds exactly the file (the SHA-256 a deploy stored with it:
    an ETag is no checksum for multipart or KMS-encrypted objects)."""
    if not version:
        return False
    from botocore.exceptions import ClientError

    try:
        head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion"):
            return False
        raise
    return head.get("Metadata", {}).get("sha256") == digest


def put_versioned(s3, bucket: str, name: str, path: Path, digest: str) -> str:
    with path.open("rb") as body:
        return s3.put_object(Bucket=bucket, Key=name, Body=body, Metadata={"sha256": digest})["VersionId"]


def wait_until_applied(
    mwaa, environment: str, update: dict[str, str], before: object, poll: float, timeout: float, say: Callable
) -> None:
    """Waits until the environment runs the versions of update; `before` is the LastUpdate.CreatedAt that was
    there before this update, so an older update's success or failure is never taken for this one's."""
    deadline = time.monotonic() + timeout
    while True:
        settings = mwaa.get_environment(Name=environment)["Environment"]
        status, last = settings["Status"], settings.get("LastUpdate") or {}
        this = last if last.get("CreatedAt") not in (None, before) else {}
        if status in FAILED or this.get("Status") == "FAILED":
            error = this.get("Error") or {}
            reason = f"{error.get('ErrorCode')}: {error.get('ErrorMessage')}" if error else "no reason given"
            raise DeployError(f"MWAA did not apply the update to {environment} ({status}): {reason}")
        if status == "AVAILABLE" and this.get("Status") == "SUCCESS":
            other = {f: settings.get(f) for f, v in update.items() if f.endswith("Version") and settings.get(f) != v}
            if other:
                raise DeployError(f"{environment} is AVAILABLE but does not run the deployed versions: {other}")
            say(f"environment {environment} is AVAILABLE with the new versions")
            return
        if time.monotonic() > deadline:
            raise DeployError(
                f"{environment} still {status} after {timeout:.0f} s: dags/ not uploaded; once MWAA has finished,"
                " run the deploy again (it will find the new versions running and upload only dags/)"
            )
        say(f"environment {environment}: {status}")
        time.sleep(poll)


def sync_dags(s3, bucket: str, dags: list[tuple[Path, str]], dry_run: bool, say: Callable) -> None:
    """Uploads dags/ in order, then deletes this project's keys the bundle no longer has."""
    for path, key in dags:
        if dry_run:
            say(f"would upload {key} -> s3://{bucket}/{key}")
        else:
            s3.upload_file(str(path), bucket, key)
    keys = {key for _, key in dags}
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="dags/")
    stale = sorted(o["Key"] for page in pages for o in page.get("Contents", []) if OWNED.match(o["Key"]))
    for key in (k for k in stale if k not in keys):
        if dry_run:
            say(f"would delete s3://{bucket}/{key}: no longer in the bundle")
        else:
            s3.delete_object(Bucket=bucket, Key=key)
            say(f"deleted s3://{bucket}/{key}: no longer in the bundle")


def deploy(
    bundle: Path,
    bucket: str,
    environment: str,
    s3,
    mwaa,
    dry_run: bool = False,
    poll_seconds: float = 30,
    timeout_seconds: float = 3600,
    say: Callable[[str], None] = print,
) -> dict[str, str]:
    """Runs the steps of the module docstring; returns the UpdateEnvironment arguments ({} if none)."""
    versioned, dags = bundle_files(bundle)
    settings = checked_environment(mwaa, environment, bucket)
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        raise DeployError(f"s3://{bucket} has no versioning: MWAA needs it to name requirements/plugins/startup")
    update: dict[str, str] = {}
    for name, path in versioned.items():
        path_field, version_field = VERSIONED[name]
        running = settings.get(version_field) if settings.get(path_field) == name else None
        digest = sha256_of(path)  # read once: plugins.zip is tens of MB
        if unchanged(s3, bucket, name, running, digest):
            say(f"s3://{bucket}/{name}: unchanged, the environment keeps version {running}")
        elif dry_run:
            say(f"would upload {name} -> s3://{bucket}/{name} and name its new version in UpdateEnvironment")
            update |= {path_field: name, version_field: "<new version>"}
        else:
            version = put_versioned(s3, bucket, name, path, digest)
            say(f"uploaded s3://{bucket}/{name} (version {version})")
            update |= {path_field: name, version_field: version}
    if update and dry_run:
        say(f"would call UpdateEnvironment(Name={environment}, {update}) and wait until AVAILABLE")
    elif update:
        before = (settings.get("LastUpdate") or {}).get("CreatedAt")
        mwaa.update_environment(Name=environment, **update)
        say(f"UpdateEnvironment {environment}: {update}")
        wait_until_applied(mwaa, environment, update, before, poll_seconds, timeout_seconds, say)
    sync_dags(s3, bucket, dags, dry_run, say)
    say(f"{'dry run: nothing changed' if dry_run else 'deployed'}: {len(dags)} files under dags/, "
        f"{'an environment update' if update else 'no environment update'}")  # fmt: skip
    return update


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("dist/mwaa"), help="the folder make mwaa-bundle built")
    parser.add_argument("--bucket", required=True, help="the MWAA environment's S3 bucket (name only)")
    parser.add_argument("--environment", required=True, help="the MWAA environment's name")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--timeout-minutes", type=float, default=60, help="how long to wait for AVAILABLE")
    args = parser.parse_args(argv)
    if not BUCKET_NAME.match(args.bucket):
        parser.error(f"--bucket {args.bucket!r}: expected an S3 bucket name (no s3://, no slash)")
    if not ENVIRONMENT_NAME.match(args.environment):
        parser.error(f"--environment {args.environment!r}: expected an MWAA environment name")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        deploy(args.bundle, args.bucket, args.environment, boto3.client("s3"), boto3.client("mwaa"), args.dry_run,
               timeout_seconds=args.timeout_minutes * 60)  # fmt: skip
    except (DeployError, ClientError, BotoCoreError) as error:
        sys.exit(f"deploy failed: {error}")


if __name__ == "__main__":
    main()
