"""A throwaway PostgreSQL 15 cluster for the Redshift harness.

initdb into a fresh directory, md5 password auth on 127.0.0.1 (redshift_connector cannot do
PostgreSQL's SCRAM), no SSL, a unix socket in the same directory for the harness's own setup as
superuser (trust, local only). PostgreSQL refuses to run as root, so as root every server command
runs as the `postgres` system user (Debian's package creates it).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def postgres_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin, where Debian installs the server binaries."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql (see .ci/run)")
    return Path(candidates[-1]).parent


@dataclass
class Cluster:
    """One running PostgreSQL server; stop() removes it and its data."""

    root: Path
    port: int
    bin_dir: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, input=input, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL as the superuser over the local socket; stops at the first error."""
        done = self._run(
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root), "-p", str(self.port),
            "-U", "postgres", "-d", database, "-At", "-f", "-", input=sql,
        )  # fmt: skip
        return done.stdout

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(port: int) -> Cluster:
    root = Path(tempfile.mkdtemp(prefix="sparkify-pg-"))
    root.chmod(0o700)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(root=root, port=port, bin_dir=postgres_bin_dir())
    cluster._run(
        "initdb", "-D", str(cluster.data_dir), "-U", "postgres", "--auth-local=trust", "--auth-host=md5",
        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
    )  # fmt: skip
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{root}'",
        "password_encryption": "md5",  # the role's password must be an md5 hash for md5 auth
        "ssl": "off",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "timezone": "'UTC'",  # Redshift sessions run in UTC
        "max_connections": "50",
        "log_min_messages": "warning",
    }
    with (cluster.data_dir / "postgresql.conf").open("a") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    cluster._run("pg_ctl", "start", "-D", str(cluster.data_dir), "-w", "-l", str(root / "server.log"))
    return cluster
