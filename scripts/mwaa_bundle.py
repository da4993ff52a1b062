"""Builds the MWAA bundle: everything an environment needs, installable without internet access.

    python scripts/mwaa_bundle.py [--out dist/mwaa] [--python-version 3.12]
    python scripts/mwaa_bundle.py --hash-locks      # after changing a pin: record the wheels' SHA-256 in the locks

    dist/mwaa/plugins.zip       the wheels of mwaa/cosmos.lock (installed by requirements.txt into Airflow's
                                environment) and of mwaa/dbt-venv.lock (installed by startup.sh into dbt's own
                                virtualenv), for CPython <python-version> on manylinux x86_64; the lock files;
                                constraints.txt, the Airflow 3.3.1 / Python 3.12 constraints of the MWAA image
    dist/mwaa/requirements.txt  mwaa/requirements.txt: --no-index from /usr/local/airflow/plugins
    dist/mwaa/startup.sh        mwaa/startup.sh: builds the dbt virtualenv from the same wheels, offline
    dist/mwaa/dags/             the DAGs, and the dbt project under dags/dbt/sparkify with its manifest for the
                                redshift target (Cosmos renders the DAG from it: no dbt call at parse time) and
                                the analysts' report (sparkify_report), which the docs DAG runs there

The wheels are downloaded from the package index (--no-deps: the locks pin every package, with the SHA-256 of
each file pip may take, for CPython 3.12 and 3.11, so pip refuses any other file) and zipped in a fixed order
with fixed timestamps: the same locks give the same plugins.zip, byte for byte. pip runs without the user's
pip configuration. The manifest is built by `dbt parse`, which opens no connection, in an environment without
the builder's SPARKIFY_/REDSHIFT_/DBT_ settings. The bundle is built next to --out and swapped in only when
complete; an existing --out is replaced only if it is a bundle (it holds .mwaa-bundle). Deploy it with
scripts/deploy_mwaa.py (make deploy).
"""

from __future__ import annotations

import argparse
import hashlib
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
# The paths of dbt_project.yml, and the report the docs DAG runs from the project folder (python -m sparkify_report).
DBT_PROJECT_DIRS = ["models", "macros", "seeds", "tests", "analyses", "sparkify_report"]
NOT_DBT = ("tests/pytest/", "tests/redshift_harness/")  # under test-paths, but the Python test suite
MARKER = ".mwaa-bundle"
PYTHON_VERSIONS = ("3.12", "3.11")  # MWAA's, and this repository's (the tests install the bundle here)
DAG_DIRS = ["dags/sparkify_pipeline"]
DBT_ROOT = "dags/dbt/sparkify"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry


class BundleError(Exception):
    pass


def locked(path: Path) -> dict[str, str]:
    """{normalized name: version} of a lock or constraints file (name==version [--hash=…] per line, # comments)."""
    from packaging.requirements import Requirement

    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].split(" --hash", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pinned = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            if len(pinned) != 1:
                raise BundleError(f"{path}: {line!r} is not pinned to one version (name==version)")
            pins[normalized(requirement.name)] = pinned[0]
    return pins


def pip_env() -> dict[str, str]:
    """The environment for pip: none of the user's configuration or extra wheel sources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return env | {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def target_args(python_version: str) -> list[str]:
    """pip's options for wheels of CPython python_version on MWAA's platform (binary wheels only)."""
    abi = "cp" + python_version.replace(".", "")
    command = ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp", "--abi", abi]
    return command + [arg for platform in PLATFORMS for arg in ("--platform", platform)]


def download_wheels(dest: Path, python_version: str, locks: list[Path] = LOCKS) -> list[Path]:
    """Exactly the wheels of the locks for that Python on manylinux x86_64, or a BundleError naming what failed."""
    from packaging.utils import parse_wheel_filename

    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *target_args(python_version)]
    command += ["--dest", str(dest)]
    for lock in locks:
        command += ["-r", str(lock)]
    done = subprocess.run(command, env=pip_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BundleError(f"pip download failed for Python {python_version}:\n{done.stdout}{done.stderr}")
    wheels = sorted(dest.glob("*.whl"))
    got = {normalized(parse_wheel_filename(w.name)[0]): str(parse_wheel_filename(w.name)[1]) for w in wheels}
    wanted = {name: version for lock in locks for name, version in locked(lock).items()}
    if got != wanted:
        difference = sorted(set(got.items()) ^ set(wanted.items()))
        raise BundleError(f"the downloaded wheels differ from the locks: {difference}")
    return wheels


def hash_locks() -> None:
    """Rewrites each lock line as name==version --hash=sha256:… for its files for every Python of PYTHON_VERSIONS."""
    from packaging.utils import parse_wheel_filename

    digests: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for version in PYTHON_VERSIONS:
            unhashed = []
            for lock in LOCKS:
                unhashed.append(Path(scratch, f"{version}-{lock.name}"))
                unhashed[-1].write_text("".join(f"{n}=={v}\n" for n, v in locked(lock).items()))
            for wheel in download_wheels(Path(scratch, version), version, unhashed):
                name = normalized(parse_wheel_filename(wheel.name)[0])
                digests.setdefault(name, set()).add(hashlib.sha256(wheel.read_bytes()).hexdigest())
    for lock in LOCKS:
        pins = locked(lock)
        comments = [line for line in lock.read_text().splitlines() if line.startswith("#")]
        hashed = [f"{n}=={v} " + " ".join(f"--hash=sha256:{d}" for d in sorted(digests[n])) for n, v in pins.items()]
        lock.write_text("\n".join(comments + hashed) + "\n")


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "SPARKIFY_", "REDSHIFT_"))}
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
            relative = path.relative_to(PROJECT_DIR).as_posix()
            if path.is_file() and "__pycache__" not in path.parts and not relative.startswith(NOT_DBT):
                files.append((path, f"{DBT_ROOT}/{relative}"))
    files.append((manifest, f"{DBT_ROOT}/target/manifest.json"))
    return files


def build(out: Path, python_version: str = "3.12") -> dict[str, int]:
    """Builds the bundle next to out and swaps it in; returns the size in bytes of each top-level file."""
    if out.exists() and not (out / MARKER).is_file():
        raise BundleError(f"{out} exists and is not a bundle this script built: choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}-") as scratch:
        new = Path(scratch, "bundle")
        new.mkdir()
        wheels = download_wheels(Path(scratch, "wheels"), python_version)
        members = [(w, w.name) for w in wheels] + [(lock, lock.name) for lock in LOCKS]
        write_zip(new / "plugins.zip", [*members, (CONSTRAINTS, "constraints.txt")])
        for path, name in dag_files(build_manifest(Path(scratch))):
            (new / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, new / name)
        for name in ("requirements.txt", "startup.sh"):
            shutil.copyfile(MWAA_DIR / name, new / name)
        (new / MARKER).write_text(f"built by scripts/mwaa_bundle.py for CPython {python_version}\n")
        if out.exists():
            shutil.rmtree(out)
        new.rename(out)
    return {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file() and p.name != MARKER}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "dist" / "mwaa", help="the bundle folder")
    parser.add_argument("--python-version", default="3.12", help="the wheels' Python (MWAA 3.3.1: 3.12)")
    parser.add_argument("--hash-locks", action="store_true", help="record the locked wheels' SHA-256, then stop")
    args = parser.parse_args(argv)
    if args.hash_locks:
        hash_locks()
        return
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
