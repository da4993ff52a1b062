"""Builds the MWAA bundle: everything an environment needs, installable without internet access.

    python scripts/mwaa_bundle.py [--out dist/mwaa] [--python-version 3.12]

    dist/mwaa/plugins.zip       the wheels of mwaa/cosmos.lock (installed by requirements.txt into Airflow's
                                environment) and of mwaa/dbt-venv.lock (installed by startup.sh into dbt's own
                                virtualenv), for CPython <python-version> on manylinux x86_64; the lock files;
                                constraints.txt, the Airflow 3.3.1 / Python 3.12 constraints of the MWAA image
    dist/mwaa/requirements.txt  mwaa/requirements.txt: --no-index from /usr/local/airflow/plugins
    dist/mwaa/startup.sh        mwaa/startup.sh: builds the dbt virtualenv from the same wheels, offline
    dist/mwaa/dags/             the DAGs, and the dbt project under dags/dbt/sparkify with its manifest for the
                                redshift target (Cosmos renders the DAG from it: no dbt call at parse time)

The wheels are downloaded once from the package index (--no-deps: the locks pin every package) and zipped in
a fixed order with fixed timestamps, so the same locks give the same plugins.zip, byte for byte. The manifest
is built by `dbt parse`, which opens no connection. Deploy it with scripts/deploy_mwaa.py (make deploy).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
MWAA_DIR = PROJECT_DIR / "mwaa"
LOCKS = [MWAA_DIR / "cosmos.lock", MWAA_DIR / "dbt-venv.lock"]
CONSTRAINTS = MWAA_DIR / "image-3.3.1" / "airflow_constraints.txt"
# MWAA 3.3.1 runs on Amazon Linux 2023 (glibc 2.34): the manylinux tags its pip accepts. openlineage-sql
# (a Cosmos dependency) ships manylinux_2_28 wheels only.
PLATFORMS = ["manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64"]
DBT_PROJECT_FILES = ["dbt_project.yml", "profiles.yml"]
DBT_PROJECT_DIRS = ["models", "macros", "seeds", "tests/generic", "analyses"]
DAG_DIRS = ["dags/sparkify_pipeline"]
DBT_ROOT = "dags/dbt/sparkify"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry


class BundleError(Exception):
    pass


def locked(path: Path) -> dict[str, str]:
    """{normalized name: version} of a lock file (name==version per line, # comments)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalized(name)] = version
    return pins


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def download_wheels(dest: Path, python_version: str) -> list[Path]:
    """Exactly the wheels of the locks for that Python on manylinux x86_64, or a BundleError naming what failed."""
    abi = "cp" + python_version.replace(".", "")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps"]
    command += ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp", "--abi", abi]
    command += [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command += ["--dest", str(dest)]
    for lock in LOCKS:
        command += ["-r", str(lock)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BundleError(f"pip download failed for Python {python_version}:\n{done.stdout}{done.stderr}")
    wheels = sorted(dest.glob("*.whl"))
    got = {normalized(w.name.split("-")[0]): w.name.split("-")[1] for w in wheels}
    wanted = {name: version for lock in LOCKS for name, version in locked(lock).items()}
    if got != wanted:
        raise BundleError(
            f"the downloaded wheels differ from the locks: {sorted(set(got.items()) ^ set(wanted.items()))}"
        )
    return wheels


def write_zip(path: Path, members: list[tuple[Path, str]]) -> None:
    """A zip whose bytes depend only on the members' names and contents (sorted, fixed times and modes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for source, name in sorted(members, key=lambda member: member[1]):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, source.read_bytes())


def build_manifest(workdir: Path) -> Path:
    """`dbt parse` for the redshift target: no connection is opened."""
    dbt = Path(sys.executable).with_name("dbt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env |= {"DBT_PROFILES_DIR": str(PROJECT_DIR), "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [str(dbt), "parse", "--quiet", "--target", "redshift", "--target-path", str(workdir / "target")]
    command += ["--log-path", str(workdir / "logs")]
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BundleError(f"dbt parse failed:\n{done.stdout}{done.stderr}")
    return workdir / "target" / "manifest.json"


def dag_files(manifest: Path) -> list[tuple[Path, str]]:
    """(local file, path in the bundle) of dags/: the DAGs, their package, the dbt project and its manifest."""
    files = [(PROJECT_DIR / "dags" / ".airflowignore", "dags/.airflowignore")]
    files += [(p, f"dags/{p.name}") for p in sorted((PROJECT_DIR / "dags").glob("*.py"))]
    for folder in DAG_DIRS:
        files += [(p, p.relative_to(PROJECT_DIR).as_posix()) for p in sorted((PROJECT_DIR / folder).rglob("*.py"))]
    files += [(PROJECT_DIR / name, f"{DBT_ROOT}/{name}") for name in DBT_PROJECT_FILES]
    for folder in DBT_PROJECT_DIRS:
        for path in sorted((PROJECT_DIR / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files.append((path, f"{DBT_ROOT}/{path.relative_to(PROJECT_DIR).as_posix()}"))
    files.append((manifest, f"{DBT_ROOT}/target/manifest.json"))
    return files


def build(out: Path, python_version: str = "3.12") -> dict[str, int]:
    """Writes the bundle into out (emptied first); returns the size in bytes of each top-level file."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        wheels = download_wheels(Path(scratch, "wheels"), python_version)
        members = [(w, w.name) for w in wheels] + [(lock, lock.name) for lock in LOCKS]
        write_zip(out / "plugins.zip", [*members, (CONSTRAINTS, "constraints.txt")])
        for path, name in dag_files(build_manifest(Path(scratch))):
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out / name)
    for name in ("requirements.txt", "startup.sh"):
        shutil.copyfile(MWAA_DIR / name, out / name)
    return {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "dist" / "mwaa", help="the bundle folder")
    parser.add_argument("--python-version", default="3.12", help="the wheels' Python (MWAA 3.3.1: 3.12)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"3\.1[0-9]", args.python_version):
        parser.error(f"--python-version {args.python_version!r}: expected 3.10 … 3.19")
    try:
        sizes = build(args.out, args.python_version)
    except BundleError as error:
        sys.exit(f"mwaa bundle failed: {error}")
    for name, size in sizes.items():
        print(f"{args.out / name}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
