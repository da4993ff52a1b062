"""Deploys a built MWAA bundle (make mwaa-bundle) to an environment, and makes MWAA apply it.

    python scripts/deploy_mwaa.py --bundle dist/mwaa --bucket BUCKET --environment ENV [--dry-run]

MWAA reads requirements.txt, plugins.zip and startup.sh only at the S3 object versions the environment names,
so uploading them is not enough. In order:
1. put requirements.txt, plugins.zip and startup.sh at the bucket root (the bucket must have versioning on),
   keeping the version id S3 gives each; a file whose bytes equal the version the environment already runs is
   not uploaded again;
2. if any of the three changed: UpdateEnvironment with the new versions, then wait until the environment is
   AVAILABLE again, or stop with the error MWAA reports (LastUpdate.Error) if the update fails;
3. upload dags/ (the DAGs and the dbt project with its manifest), which MWAA picks up by itself. They go
   last, so a failed update leaves the DAGs that match the running environment.

--dry-run prints the plan and changes nothing. AWS credentials and region come from the usual AWS
environment; SPARKIFY_S3_ENDPOINT_URL points S3 at another endpoint (the tests use moto_server).
Roll back: README, "Deploy to MWAA".
"""

from __future__ import annotations

import argparse
import hashlib
import os
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
FAILED = {"UPDATE_FAILED", "CREATE_FAILED", "UNAVAILABLE", "DELETING", "DELETED"}


class DeployError(Exception):
    pass


def bundle_files(bundle: Path) -> tuple[dict[str, Path], list[tuple[Path, str]]]:
    """({versioned key: file}, [(file, key)] for dags/), from a bundle folder; refuses an incomplete bundle."""
    missing = [name for name in VERSIONED if not (bundle / name).is_file()]
    if missing or not (bundle / "dags").is_dir():
        raise DeployError(f"{bundle} is not an MWAA bundle (missing {missing or ['dags/']}): run make mwaa-bundle")
    dags = [(p, p.relative_to(bundle).as_posix()) for p in sorted((bundle / "dags").rglob("*")) if p.is_file()]
    return {name: bundle / name for name in VERSIONED}, dags


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def running_versions(mwaa, environment: str) -> dict[str, str | None]:
    """{versioned key: the object version the environment runs}, or None where it names none or another key."""
    settings = mwaa.get_environment(Name=environment)["Environment"]
    running: dict[str, str | None] = {}
    for name, (path_field, version_field) in VERSIONED.items():
        running[name] = settings.get(version_field) if settings.get(path_field) == name else None
    return running


def unchanged(s3, bucket: str, key: str, version: str | None, path: Path) -> bool:
    """True if that object version holds exactly the file's bytes (a single-part upload's ETag is its MD5)."""
    if not version:
        return False
    head = s3.head_object(Bucket=bucket, Key=key, VersionId=version)
    return head["ETag"].strip('"') == md5_of(path)


def wait_until_available(
    mwaa, environment: str, poll_seconds: float, timeout_seconds: float, say: Callable[[str], None]
) -> None:
    deadline = time.monotonic() + timeout_seconds
    while True:
        settings = mwaa.get_environment(Name=environment)["Environment"]
        status, last = settings["Status"], settings.get("LastUpdate", {})
        if status == "AVAILABLE" and last.get("Status", "SUCCESS") == "SUCCESS":
            say(f"environment {environment} is AVAILABLE with the new versions")
            return
        error = last.get("Error")
        if status in FAILED or last.get("Status") == "FAILED" or (status == "AVAILABLE" and error):
            reason = f"{error.get('ErrorCode')}: {error.get('ErrorMessage')}" if error else "no reason given"
            raise DeployError(f"MWAA did not apply the update to {environment} ({status}): {reason}")
        if time.monotonic() > deadline:
            raise DeployError(f"{environment} still {status} after {timeout_seconds:.0f} s; see the MWAA console")
        say(f"environment {environment}: {status}")
        time.sleep(poll_seconds)


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
    """Runs the three steps of the module docstring; returns the UpdateEnvironment arguments ({} if none)."""
    versioned, dags = bundle_files(bundle)
    if not dry_run and s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        raise DeployError(f"s3://{bucket} has no versioning: MWAA needs it to name requirements/plugins/startup")
    running = running_versions(mwaa, environment)
    update: dict[str, str] = {}
    for name, path in versioned.items():
        path_field, version_field = VERSIONED[name]
        if unchanged(s3, bucket, name, running[name], path):
            say(f"s3://{bucket}/{name}: unchanged, the environment keeps version {running[name]}")
            continue
        if dry_run:
            say(f"would upload {name} -> s3://{bucket}/{name} and name its new version in UpdateEnvironment")
            update |= {path_field: name, version_field: "<new version>"}
            continue
        with path.open("rb") as body:
            version = s3.put_object(Bucket=bucket, Key=name, Body=body)["VersionId"]
        say(f"uploaded s3://{bucket}/{name} (version {version})")
        update |= {path_field: name, version_field: version}
    if update and dry_run:
        say(f"would call UpdateEnvironment(Name={environment}, {update}) and wait until AVAILABLE")
    elif update:
        mwaa.update_environment(Name=environment, **update)
        say(f"UpdateEnvironment {environment}: {update}")
        wait_until_available(mwaa, environment, poll_seconds, timeout_seconds, say)
    for path, key in dags:
        if dry_run:
            say(f"would upload {key} -> s3://{bucket}/{key}")
        else:
            s3.upload_file(str(path), bucket, key)
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

    s3 = boto3.client("s3", endpoint_url=os.environ.get("SPARKIFY_S3_ENDPOINT_URL") or None)
    try:
        deploy(args.bundle, args.bucket, args.environment, s3, boto3.client("mwaa"), args.dry_run,
               timeout_seconds=args.timeout_minutes * 60)  # fmt: skip
    except DeployError as error:
        sys.exit(f"deploy failed: {error}")


if __name__ == "__main__":
    main()
