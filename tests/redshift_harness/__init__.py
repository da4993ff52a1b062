"""A Redshift stand-in for tests: PostgreSQL 15 + a wire-protocol proxy + Redshift shims.

    harness = start_harness(workdir, s3_endpoint="http://127.0.0.1:…")
    env = harness.env()          # REDSHIFT_* for profiles.yml's redshift target
    ...
    harness.statements()         # every statement dbt sent, as logged by the proxy
    harness.stop()

What it proves and what it cannot: see docs/testing.md, "How the Redshift path is tested".
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from redshift_harness.cluster import Cluster, start_cluster

HERE = Path(__file__).resolve().parent
USER = "sparkify"
DATABASE = "dev"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


@dataclass
class Harness:
    cluster: Cluster
    proxy: subprocess.Popen
    port: int
    password: str
    log_path: Path
    ca_file: Path  # the CA of the proxy's TLS certificate
    serverless: bool = False  # Serverless mode: STL_LOAD_ERRORS and pg_last_copy_id() refused, SYS views kept

    def env(self, schema: str = "sparkify", tls: bool = False) -> dict[str, str]:
        """The redshift target's connection settings (profiles.yml reads REDSHIFT_*). With tls, the production
        default sslmode (require, which dbt-redshift turns into verify-ca) and the harness CA to verify with."""
        settings = {
            "REDSHIFT_HOST": "127.0.0.1",
            "REDSHIFT_PORT": str(self.port),
            "REDSHIFT_USER": USER,
            "REDSHIFT_PASSWORD": self.password,
            "REDSHIFT_DATABASE": DATABASE,
            "REDSHIFT_SCHEMA": schema,
            "REDSHIFT_SSLMODE": "disable",
            "SPARKIFY_REDSHIFT_DEPLOYMENT": "serverless" if self.serverless else "provisioned",
        }
        if tls:
            settings.update(REDSHIFT_SSLMODE="require", SSL_CERT_FILE=str(self.ca_file))
        return settings

    def add_login(self, user: str, password: str) -> None:
        """A login for the temporary user an IAM credentials call returns (IAM:<name>, IAMR:<role>, …), as
        Redshift makes one: it may create schemas in the database; the harness user (Harness.query) can read
        what it builds."""
        if not re.fullmatch(r"[A-Za-z0-9_:@.+=,-]{1,127}", user) or "'" in password:
            raise ValueError(f"not a database user name or password the harness accepts: {user!r}")
        self.cluster.psql(
            f"set password_encryption = 'md5';\n"
            f"create role \"{user}\" login password '{password}';\n"
            f'grant create, temporary on database {DATABASE} to "{user}";\n'
            f'grant "{user}" to {USER};\n'
        )

    def connect(self):
        """A redshift_connector connection through the proxy, as dbt-redshift makes one."""
        import redshift_connector

        connection = redshift_connector.connect(
            host="127.0.0.1", port=self.port, user=USER, password=self.password, database=DATABASE, ssl=False
        )
        connection.autocommit = True
        return connection

    def query(self, sql: str, schema: str | None = None) -> list[tuple]:
        with self.connect() as connection:
            cursor = connection.cursor()
            if schema:
                cursor.execute(f"set search_path to {schema}")
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    def statements(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def stop(self) -> None:
        self.proxy.terminate()
        try:
            self.proxy.wait(timeout=10)
        finally:
            self.cluster.stop()


# Serverless mode: a workgroup refuses the STL views to its users (SQLSTATE 42501, "permission denied")
# while the SYS views answer; harness_copy() still logs there, the SYS views read it as the superuser.
SERVERLESS_SQL = (
    "revoke select on pg_catalog.stl_load_errors from public;\n"
    "revoke execute on function pg_catalog.pg_last_copy_id() from public;\n"
)


def start_harness(workdir: Path, s3_endpoint: str, aws_env: dict[str, str], serverless: bool = False) -> Harness:
    cluster = start_cluster(free_port())
    try:
        password = secrets.token_urlsafe(18)
        cluster.psql(
            f"set password_encryption = 'md5';\n"
            f"create role {USER} login password '{password}';\n"
            f"create database {DATABASE} owner {USER};\n"
        )
        cluster.psql("set allow_system_table_mods = on;\n" + (HERE / "shims.sql").read_text(), database=DATABASE)
        if serverless:
            cluster.psql(SERVERLESS_SQL, database=DATABASE)
        port = free_port()
        log_path = workdir / "redshift_statements.jsonl"
        ca_file = workdir / "tls" / "ca.pem"
        proxy = subprocess.Popen(
            [sys.executable, "-m", "redshift_harness", "serve", "--port", str(port),
             "--upstream-port", str(cluster.port), "--log", str(log_path), "--s3-endpoint", s3_endpoint,
             "--tls-ca", str(ca_file)],
            env={**os.environ, **aws_env, "PYTHONPATH": str(HERE.parent)},
            stdout=(workdir / "proxy.log").open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(port, proxy, "redshift harness proxy")
    except BaseException:
        cluster.stop()
        raise
    return Harness(
        cluster=cluster,
        proxy=proxy,
        port=port,
        password=password,
        log_path=log_path,
        ca_file=ca_file,
        serverless=serverless,
    )
