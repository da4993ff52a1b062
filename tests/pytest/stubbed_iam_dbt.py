"""`dbt` with AWS's Redshift Serverless credentials API answered by botocore's Stubber (moto has no such API).

    python stubbed_iam_dbt.py <dbt args>      # as the `dbt` script, in this process

Every boto3 client redshift_connector creates for redshift-serverless is stubbed with one GetCredentials
answer, and the Stubber checks the request: the database and workgroup of STUB_GET_CREDENTIALS. The answer is
the temporary database user from STUB_GET_CREDENTIALS and the password in STUB_DB_PASSWORD (the harness
creates that login). Everything else, dbt-redshift's IAM method and redshift_connector's IAM path, TLS and
login included, runs unchanged. On exit, how many redshift-serverless clients redshift_connector made (one per
connection) and how many GetCredentials calls they answered (the rest found the credentials in
redshift_connector's cache) are written as JSON to the file STUB_GET_CREDENTIALS names. A call with other
parameters is refused by the Stubber, and dbt fails to connect.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from botocore.stub import Stubber


def stub_get_credentials(spec: dict, password: str) -> list[dict]:
    clients: list[dict] = []
    make_client = boto3.session.Session.client

    def client(self, service_name, *args, **kwargs):
        made = make_client(self, service_name, *args, **kwargs)
        made_client = {"service": service_name, "region": kwargs.get("region_name"), "stubber": Stubber(made)}
        if service_name == "redshift-serverless":
            made_client["stubber"].add_response(
                "get_credentials",
                {
                    "dbUser": spec["db_user"],
                    "dbPassword": password,
                    "expiration": datetime.now(UTC) + timedelta(minutes=15),
                },
                {"dbName": spec["db_name"], "workgroupName": spec["workgroup"]},
            )
        made_client["stubber"].activate()
        clients.append(made_client)
        return made

    boto3.session.Session.client = client
    return clients


def answered(stubber: Stubber) -> bool:
    try:
        stubber.assert_no_pending_responses()
    except AssertionError:
        return False
    return True


def report(clients: list[dict], path: Path) -> None:
    summary = {
        "clients": [{"service": c["service"], "region": c["region"]} for c in clients],
        "get_credentials": sum(answered(c["stubber"]) for c in clients),
    }
    path.write_text(json.dumps(summary))


def main(args: list[str]) -> int:
    spec = json.loads(os.environ["STUB_GET_CREDENTIALS"])
    clients = stub_get_credentials(spec, os.environ.pop("STUB_DB_PASSWORD"))
    from dbt.cli.main import cli

    try:
        cli.main(args=args, prog_name="dbt")
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    report(clients, Path(spec["report"]))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
