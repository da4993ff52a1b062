"""Deploys the DAG and the dbt project to an MWAA environment's S3 bucket.

    python scripts/deploy_mwaa.py --bucket BUCKET [--dry-run]

Builds the dbt manifest for the redshift target (Cosmos renders the DAG from it: LoadMode.DBT_MANIFEST,
no dbt call at parse time), then lays the files out as MWAA expects:

    s3://BUCKET/requirements.txt             mwaa/requirements.txt
    s3://BUCKET/startup.sh                   mwaa/startup.sh
    s3://BUCKET/dags/*.py (the DAGs), dags/sparkify_pipeline/, dags/.airflowignore
    s3://BUCKET/dags/dbt/sparkify/           the dbt project (+ target/manifest.json)

--dry-run only prints what it would upload. AWS credentials come from the usual AWS environment;
SPARKIFY_S3_ENDPOINT_URL points at another S3 endpoint (the tests use moto_server).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_FILES = ["dbt_project.yml", "profiles.yml"]
DBT_PROJECT_DIRS = ["models", "macros", "seeds", "tests/generic", "analyses"]
DAG_FILES = [
    "dags/.airflowignore",
    *sorted(p.relative_to(PROJECT_DIR).as_posix() for p in (PROJECT_DIR / "dags").glob("*.py")),
]
DAG_DIRS = ["dags/sparkify_pipeline"]
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def build_manifest(workdir: Path) -> Path:
    """`dbt parse` for the redshift target: no connection is opened."""
    dbt = Path(sys.executable).with_name("dbt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env |= {"DBT_PROFILES_DIR": str(PROJECT_DIR), "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [str(dbt), "parse", "--quiet", "--target", "redshift", "--target-path", str(workdir / "target")]
    command += ["--log-path", str(workdir / "logs")]
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"dbt parse failed:\n{done.stdout}{done.stderr}")
    return workdir / "target" / "manifest.json"


def layout(manifest: Path) -> list[tuple[Path, str]]:
    """(local file, bucket key) pairs, in upload order."""
    files: list[tuple[Path, str]] = [
        (PROJECT_DIR / "mwaa" / "requirements.txt", "requirements.txt"),
        (PROJECT_DIR / "mwaa" / "startup.sh", "startup.sh"),
    ]
    files += [(PROJECT_DIR / name, name) for name in DAG_FILES]
    for folder in DAG_DIRS:
        files += [(p, p.relative_to(PROJECT_DIR).as_posix()) for p in sorted((PROJECT_DIR / folder).rglob("*.py"))]
    dbt_root = "dags/dbt/sparkify"
    files += [(PROJECT_DIR / name, f"{dbt_root}/{name}") for name in DBT_PROJECT_FILES]
    for folder in DBT_PROJECT_DIRS:
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files.append((path, f"{dbt_root}/{path.relative_to(PROJECT_DIR).as_posix()}"))
    files.append((manifest, f"{dbt_root}/target/manifest.json"))
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="the MWAA environment's S3 bucket (name only)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be uploaded, upload nothing")
    args = parser.parse_args(argv)
    if not BUCKET_NAME.match(args.bucket):
        parser.error(f"--bucket {args.bucket!r}: expected an S3 bucket name (no s3://, no slash)")

    with tempfile.TemporaryDirectory() as workdir:
        files = layout(build_manifest(Path(workdir)))
        if args.dry_run:
            for path, key in files:
                print(
                    f"would upload {path.relative_to(PROJECT_DIR) if path.is_relative_to(PROJECT_DIR) else path.name}"
                    f" -> s3://{args.bucket}/{key}"
                )
            print(f"dry run: {len(files)} files, nothing uploaded")
            return
        import boto3

        client = boto3.client("s3", endpoint_url=os.environ.get("SPARKIFY_S3_ENDPOINT_URL") or None)
        for path, key in files:
            client.upload_file(str(path), args.bucket, key)
            print(f"uploaded s3://{args.bucket}/{key}")
        print(f"deployed {len(files)} files to s3://{args.bucket}")


if __name__ == "__main__":
    main()
