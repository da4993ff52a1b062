"""The MWAA bundle (make mwaa-bundle): it installs without internet access, on the MWAA 3.3.1 image's own pins.

What the tests build, once per module: the bundle for MWAA (CPython 3.12 wheels) and the same bundle with
CPython 3.11 wheels, this machine's Python, so that its dbt virtualenv can really be installed here. Wheels
come from the package index at build time only; every install below runs with --no-index, and startup.sh
runs in a network namespace without a network. The image's pins are mwaa/image-3.3.1/ (copied from
aws/amazon-mwaa-docker-images, source in its README.md). What only a real environment can prove:
docs/mwaa.md.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, base_env

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from mwaa_bundle import LOCKS, locked, normalized, pip_env, target_args

BUNDLE = PROJECT_DIR / "scripts" / "mwaa_bundle.py"
IMAGE = PROJECT_DIR / "mwaa" / "image-3.3.1"
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
# Installed in the image but without a CPython 3.11 wheel on the index (they build from source); the DAG
# does not import them.
NO_WHEEL_HERE = {"pycurl", "psycopg2"}


def build_bundle(out: Path, python_version: str) -> Path:
    done = subprocess.run(
        [sys.executable, str(BUNDLE), "--out", str(out), "--python-version", python_version],
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def unzip_plugins(bundle: Path, plugins: Path) -> Path:
    """What MWAA does with plugins.zip: its files in the plugins folder."""
    with zipfile.ZipFile(bundle / "plugins.zip") as archive:
        archive.extractall(plugins)
    return plugins


def requirements_for(bundle: Path, plugins: Path, dest: Path) -> Path:
    """The bundle's requirements.txt with MWAA's plugins path replaced by where the test unzipped them."""
    text = (bundle / "requirements.txt").read_text().replace("/usr/local/airflow/plugins", str(plugins))
    dest.write_text(text)
    return dest


def image_pins() -> dict[str, str]:
    return locked(IMAGE / "installed.txt")


def test_mwaa_runs_the_versions_the_suite_tests():
    """The locks pin the dbt, dbt-redshift and Cosmos this repository's tests run, and Cosmos' lock takes every
    other package at the image's constraints pin."""
    runtime = locked(PROJECT_DIR / "requirements.txt") | locked(PROJECT_DIR / "requirements-airflow.txt")
    dbt_venv, cosmos = locked(LOCKS[1]), locked(LOCKS[0])
    assert (dbt_venv["dbt-core"], dbt_venv["dbt-redshift"]) == (runtime["dbt-core"], runtime["dbt-redshift"])
    assert cosmos["astronomer-cosmos"] == runtime["astronomer-cosmos"]
    constraints = locked(IMAGE / "airflow_constraints.txt")
    assert {n: v for n, v in cosmos.items() if n != "astronomer-cosmos"} == {
        n: constraints[n] for n in cosmos if n != "astronomer-cosmos"
    }
    assert not set(cosmos) & set(image_pins())  # nothing the image already has


@pytest.fixture(scope="module")
def bundle312(tmp_path_factory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("mwaa") / "bundle", "3.12")


@pytest.fixture(scope="module")
def bundle311(tmp_path_factory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("mwaa311") / "bundle", "3.11")


@pytest.fixture(scope="module")
def image_stub(tmp_path_factory) -> Iterator[Path]:
    """A Python environment that looks like the MWAA 3.3.1 image to pip: one metadata-only distribution per
    package the image has installed (name and version; pip takes them as installed)."""
    venv = tmp_path_factory.mktemp("image_stub") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    for name, version in image_pins().items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    yield venv / "bin" / "python"
    shutil.rmtree(venv)


def resolve_for_mwaa(image_python: Path, requirements: Path) -> subprocess.CompletedProcess:
    """MWAA's own install step (safe-pip-install: the essential constraints, then -r requirements.txt), resolved
    by pip for CPython 3.12 on manylinux x86_64 against the image's installed packages, offline."""
    command = [*PIP, "--python", str(image_python), "install", "--dry-run", "--quiet", "--report", "-"]
    command += target_args("3.12")
    command += ["--constraint", str(IMAGE / "mwaa_essential_constraints.txt"), "-r", str(requirements)]
    return subprocess.run(command, env=pip_env(), capture_output=True, text=True, check=False)


def test_the_wheels_resolve_cosmos_on_the_mwaa_image_offline(bundle312, image_stub, tmp_path):
    """requirements.txt installs exactly the Cosmos wheels of plugins.zip on top of the image, at its pins."""
    plugins = unzip_plugins(bundle312, tmp_path / "plugins")
    done = resolve_for_mwaa(image_stub, requirements_for(bundle312, plugins, tmp_path / "requirements.txt"))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    installs = {normalized(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    assert installs == locked(LOCKS[0])  # mwaa/cosmos.lock: no image package replaced, nothing missing
    constraints = locked(plugins / "constraints.txt")
    assert all(constraints[name] == version for name, version in installs.items() if name in constraints)


def test_a_missing_wheel_fails_the_resolution(bundle312, image_stub, tmp_path):
    plugins = unzip_plugins(bundle312, tmp_path / "plugins")
    for wheel in plugins.glob("openlineage_sql-*.whl"):
        wheel.unlink()
    done = resolve_for_mwaa(image_stub, requirements_for(bundle312, plugins, tmp_path / "requirements.txt"))
    assert done.returncode != 0
    assert "Cannot install astronomer-cosmos" in done.stderr
    assert "ResolutionImpossible" in done.stderr


def test_the_wheels_resolve_dbt_redshift_for_python_312_offline(bundle312, tmp_path):
    """The dbt virtualenv's lock is closed under its dependencies: pip resolves dbt-core, dbt-redshift and the
    report's metricflow with their whole tree from plugins.zip alone, for MWAA's platform."""
    plugins = unzip_plugins(bundle312, tmp_path / "plugins")
    command = [*PIP, "install", "--dry-run", "--quiet", "--report", "-", "--no-index", "--find-links", str(plugins)]
    command += target_args("3.12")
    command += ["--target", str(tmp_path / "target")]
    lock = locked(LOCKS[1])
    command += [f"{name}=={lock[name]}" for name in ("dbt-core", "dbt-redshift", "metricflow")]  # the lock's roots
    done = subprocess.run(command, env=pip_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    installs = {normalized(i["metadata"]["name"]): i["metadata"]["version"] for i in json.loads(done.stdout)["install"]}
    assert installs == lock


def unstamped(value):
    """A manifest part without dbt's parse times (created_at)."""
    if isinstance(value, dict):
        return {k: unstamped(v) for k, v in value.items() if k != "created_at"}
    return [unstamped(v) for v in value] if isinstance(value, list) else value


def test_the_bundle_is_reproducible(bundle312, tmp_path):
    again = build_bundle(tmp_path / "again", "3.12")
    for name in ("plugins.zip", "requirements.txt", "startup.sh"):
        assert (again / name).read_bytes() == (bundle312 / name).read_bytes(), name
    files = sorted(p.relative_to(bundle312).as_posix() for p in (bundle312 / "dags").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again).as_posix() for p in (again / "dags").rglob("*") if p.is_file())
    for name in files:
        if name.endswith("manifest.json"):  # stamped with its invocation id and time; its graph must not differ
            first, second = (json.loads((b / name).read_text()) for b in (bundle312, again))
            assert unstamped(first["nodes"]) == unstamped(second["nodes"])
        else:
            assert (bundle312 / name).read_bytes() == (again / name).read_bytes(), name


def no_network() -> list[str]:
    """A command prefix that runs in a network namespace of its own, without any network: as root, or through a
    user namespace."""
    for prefix in (["unshare", "--net"], ["unshare", "--user", "--map-root-user", "--net"]):
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    pytest.fail("unshare cannot make a network namespace here: the offline tests need one (root or user namespaces)")


def source_startup(airflow_home: Path, script: str, caller: str = "") -> subprocess.CompletedProcess:
    """Sources startup.sh in bash as MWAA does, without a network (a network namespace of its own), and runs
    `caller` after it in the same shell."""
    exported = "env | grep -E '^(SPARKIFY_|DO_NOT_TRACK|DBT_SEND)' | sort"
    shell = f'{caller}\nsource {script}\necho "after startup: rc=$?"\n{exported}'
    env = {"PATH": "/usr/bin:/bin", "HOME": str(airflow_home), "AIRFLOW_HOME": str(airflow_home)}
    return subprocess.run(
        [*no_network(), "bash", "-c", shell], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_startup_builds_the_dbt_venv_offline_from_the_bundle(bundle311, tmp_path):
    """The bundle's startup.sh with the same lock's CPython 3.11 wheels: dbt installed offline and working."""
    home = tmp_path / "airflow"
    unzip_plugins(bundle311, home / "plugins")
    try:
        done = source_startup(home, str(bundle311 / "startup.sh"))
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.search(r"sparkify startup: dbt virtualenv \S+ built offline in \d+ s", done.stdout), done.stdout
        assert "after startup: rc=0" in done.stdout
        exported = dict(
            line.split("=", 1) for line in done.stdout.splitlines() if "=" in line and not line.startswith("after")
        )
        assert exported["SPARKIFY_TARGET"] == "redshift"
        assert exported["SPARKIFY_DBT_EXECUTABLE"] == f"{home}/dbt_venv/bin/dbt"
        assert exported["SPARKIFY_DBT_PROJECT_DIR"] == f"{home}/dags/dbt/sparkify"
        assert exported["DO_NOT_TRACK"] == "1"
        assert "SPARKIFY_STARTUP_ERROR" not in exported
        version = subprocess.run(
            [*no_network(), exported["SPARKIFY_DBT_EXECUTABLE"], "--version"], capture_output=True, text=True
        )
        assert version.returncode == 0, version.stderr
        assert "installed: 1.11.16" in version.stdout
        assert "redshift: 1.11.2" in version.stdout
        # The docs DAG's report runs there too, with no network: MetricFlow plans every metric and saved query.
        project = bundle311 / "dags" / "dbt" / "sparkify"  # where MWAA's dags/ would hold it
        check = subprocess.run(
            [*no_network(), str(Path(exported["SPARKIFY_DBT_EXECUTABLE"]).with_name("python")), "-m",
             "sparkify_report", "--check", "--project-dir", str(project), "--profiles-dir", str(project),
             "--target", "redshift", "--target-path", str(tmp_path / "report_target")],
            cwd=project, capture_output=True, text=True, check=False,
            env=base_env(DBT_LOG_PATH=str(tmp_path / "report_logs"), PYTHONDONTWRITEBYTECODE="1"),
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
        assert "semantic layer ok: 12 metrics, 10 saved queries" in check.stdout
        # A second container start finds the virtualenv and keeps it.
        again = source_startup(home, str(bundle311 / "startup.sh"))
        assert f"sparkify startup: dbt virtualenv {home}/dbt_venv is ready" in again.stdout
    finally:
        shutil.rmtree(home / "dbt_venv", ignore_errors=True)  # third-party code, as in image_venv


def test_a_failed_startup_is_reported_and_the_calling_shell_goes_on(tmp_path):
    """No wheels (a plugins.zip that is not the bundle's): the error is on stderr and exported for the DAG, and
    the shell that sourced the script, even under set -e, carries on to save the environment."""
    home = tmp_path / "airflow"
    (home / "plugins").mkdir(parents=True)
    done = source_startup(home, str(PROJECT_DIR / "mwaa" / "startup.sh"), caller="set -e")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "after startup: rc=0" in done.stdout
    message = f"no dbt-venv.lock in {home}/plugins: plugins.zip is not the one make mwaa-bundle builds"
    assert f"sparkify startup: FAILED: {message}" in done.stderr
    assert f"SPARKIFY_STARTUP_ERROR={message}" in done.stdout
    assert "SPARKIFY_TARGET=redshift" in done.stdout


def test_a_wheel_that_is_not_the_locked_file_fails_the_startup_cleanly(bundle311, tmp_path):
    """A wheel whose bytes are not the lock's (a corrupt or substituted file): pip's hash check refuses it, the
    half-built virtualenv is removed, and the error is reported and exported."""
    home = tmp_path / "airflow"
    plugins = unzip_plugins(bundle311, home / "plugins")
    six = next(plugins.glob("six-*.whl"))
    six.write_bytes(next(plugins.glob("text_unidecode-*.whl")).read_bytes())
    done = source_startup(home, str(bundle311 / "startup.sh"))
    assert "after startup: rc=0" in done.stdout
    message = f"offline install of dbt from {plugins} failed (see the pip error above)"
    assert f"sparkify startup: FAILED: {message}" in done.stderr
    assert "DO NOT MATCH THE HASHES" in done.stderr
    assert f"SPARKIFY_STARTUP_ERROR={message}" in done.stdout
    assert not (home / "dbt_venv").exists()


def test_the_shipped_dbt_project_has_every_file_its_manifest_names(bundle312):
    """The dbt tasks on MWAA re-parse the shipped project: every node of the manifest (singular data tests under
    tests/ included) must have its file there, and none of the Python test suite may ship."""
    project = bundle312 / "dags" / "dbt" / "sparkify"
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    paths = {node["original_file_path"] for node in manifest["nodes"].values()}
    paths |= {m["original_file_path"] for m in manifest["macros"].values() if m["package_name"] == "sparkify"}
    assert {"tests/rejected_lines.sql", "tests/rejected_lines_of_this_run.sql"} <= paths
    assert sorted(path for path in paths if not (project / path).is_file()) == []
    assert not (project / "tests" / "pytest").exists()
    assert not (project / "tests" / "redshift_harness").exists()


def test_the_bundle_replaces_only_a_folder_it_built(tmp_path):
    (tmp_path / "notes.txt").write_text("not a bundle")
    done = subprocess.run(
        [sys.executable, str(BUNDLE), "--out", str(tmp_path)], env=base_env(), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert f"mwaa bundle failed: {tmp_path} exists and is not a bundle this script built" in done.stderr
    assert (tmp_path / "notes.txt").read_text() == "not a bundle"


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory, bundle311) -> Iterator[Path]:
    """A CPython 3.11 virtualenv holding the MWAA 3.3.1 image's packages at the image's versions (Airflow,
    Amazon provider 9.34.0, ...), then requirements.txt installed the way MWAA does, offline from the bundle."""
    root = tmp_path_factory.mktemp("image_venv")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = root / "image.txt"
    pins.write_text("".join(f"{n}=={v}\n" for n, v in image_pins().items() if n not in NO_WHEEL_HERE))
    python = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    python += ["--no-compile"]  # parsed once: byte-compiling 200 packages first would only cost time
    image = subprocess.run(
        [*python, "--no-deps", "--only-binary=:all:", "-r", str(pins)], capture_output=True, text=True
    )
    assert image.returncode == 0, image.stderr[-3000:]
    plugins = unzip_plugins(bundle311, root / "plugins")
    requirements = requirements_for(bundle311, plugins, root / "requirements.txt")
    mwaa_step = [*python, "--constraint", str(IMAGE / "mwaa_essential_constraints.txt"), "-r", str(requirements)]
    done = subprocess.run(mwaa_step, env=pip_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    yield venv / "bin" / "python"
    shutil.rmtree(root)  # third-party code: not for the session's secret scan, which reads what tests wrote


def test_the_dag_parses_in_the_mwaa_layout_on_the_image_pins(image_venv, bundle312, tmp_path):
    """The bundle's dags/ as MWAA lays it out, parsed by Airflow 3.3.1 with the image's provider versions and
    the settings startup.sh exports plus the environment's configuration options."""
    versions = subprocess.run(
        [str(image_venv), "-c", "import importlib.metadata as m; print(m.version('apache-airflow-providers-amazon'),"
         " m.version('apache-airflow'), m.version('astronomer-cosmos'))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert versions == [image_pins()["apache-airflow-providers-amazon"], "3.3.1", locked(LOCKS[0])["astronomer-cosmos"]]
    home = tmp_path / "airflow"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(bundle312 / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # startup.sh's exports
        "SPARKIFY_TARGET": "redshift",
        "SPARKIFY_DBT_EXECUTABLE": f"{home}/dbt_venv/bin/dbt",
        "SPARKIFY_DBT_PROJECT_DIR": str(bundle312 / "dags" / "dbt" / "sparkify"),
        "SPARKIFY_COSMOS_LOAD_MODE": "dbt_manifest",
        "DO_NOT_TRACK": "1",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # the environment's configuration options (docs/mwaa.md)
        "AIRFLOW__SPARKIFY__DATA_ROOT": "s3://udacity-dend",
        "AIRFLOW__SPARKIFY__IAM_ROLE": "arn:aws:iam::123456789012:role/sparkify-copy",
        "AIRFLOW__SPARKIFY__DOCS_BUCKET": "sparkify-docs-site",
    }
    runner = Path(__file__).with_name("dag_runner.py")
    done = subprocess.run(
        [str(image_venv), str(runner), "describe"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("DAG_RUNNER_JSON ")]
    described = json.loads(lines[-1].removeprefix("DAG_RUNNER_JSON "))
    assert described["import_errors"] == {}
    assert described["dag_ids"] == ["sparkify_docs", "sparkify_hourly"]
    assert {"begin", "quality_checks", "end"} <= set(described["tasks"])
    assert described["tasks"]["quality_checks"]["dbt_executable"] == f"{home}/dbt_venv/bin/dbt"
