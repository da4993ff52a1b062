"""SQL and path injection through every var and every env fallback is refused before anything runs.

Every var declared in dbt_project.yml and every SPARKIFY_* env var the dbt project reads get the same
attacks: breaking out of a SQL literal or identifier (quote + statement + comment, double quote,
backslash, look-alike quotes), a comment, a newline, a NUL, an over-long value, and for paths:
traversal (..), absolute keys, s3://bucket/../x, glob characters, strftime directives. Each case is
one real dbt call (dbt_batch.py) that must fail while dbt parses the project, before any connection:
exit code 2 (dbt's code for an error outside a node) and `Invalid var NAME="VALUE": expected …`.
- DuckDB: `dbt build` on a copy of the full build; afterwards the file is byte-for-byte unchanged.
- Redshift: the COPY pre-hook rendered offline (`dbt compile --inline copy_json(...)`): no SQL at all.
The DAG's settings (env / MWAA configuration options) refuse the same values when the DAG is imported.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT_DIR, DbtResult, Warehouse, base_env, run_dbt_process
from dbt_batch import DbtCall, run_dbt_batch

PROJECT_VARS: dict = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
ROLE = "arn:aws:iam::123456789012:role/sparkify-copy"
WAREHOUSE_DIR = "{warehouse_dir}"  # replaced at run time by the shared warehouse's folder

# A valid value of every var: each attack is this value with the attack injected. A var added to
# dbt_project.yml without an entry here fails test_every_var_and_env_fallback_has_cases.
VALID: dict[str, str] = {
    "data_root": "data/sparkify",
    "events_prefix": "log_data",
    "songs_prefix": "song_data",
    "events_day_key": "%Y/%m/%Y-%m-%d-events.json",
    "events_json_option": "log_json_path.json",
    "songs_json_option": "auto",
    "s3_region": "us-west-2",
    "iam_role": ROLE,
    "redshift_deployment": "provisioned",
    "landing_schema": "main",
    "data_interval_start": "2018-11-15T14:00:00+00:00",
    "data_interval_end": "2018-11-15T15:00:00+00:00",
    "reload_songs": "true",
    "song_match_tolerance_seconds": "1.0",
    "dimension_load_mode": "truncate_insert",
    "max_load_errors": "1000",
    "load_error_threshold": "100",
    "test_scope": "window",
}
# The window vars only exist in pairs: an attack on one keeps the other valid.
PARTNER = {"data_interval_start": "data_interval_end", "data_interval_end": "data_interval_start"}
# Every SPARKIFY_* env var the dbt project reads: the name the error message shows, and a valid value.
ENV_FALLBACKS: dict[str, tuple[str, str]] = {
    "SPARKIFY_DATA_ROOT": ("data_root", VALID["data_root"]),
    "SPARKIFY_S3_REGION": ("s3_region", VALID["s3_region"]),
    "SPARKIFY_IAM_ROLE": ("iam_role", VALID["iam_role"]),
    "SPARKIFY_REDSHIFT_DEPLOYMENT": ("redshift_deployment", VALID["redshift_deployment"]),
    "SPARKIFY_LANDING_SCHEMA": ("landing_schema", VALID["landing_schema"]),
    # the window as the DAG passes it (by env, so dbt keeps its partial parse)
    "SPARKIFY_DATA_INTERVAL_START": ("data_interval_start", VALID["data_interval_start"]),
    "SPARKIFY_DATA_INTERVAL_END": ("data_interval_end", VALID["data_interval_end"]),
    "SPARKIFY_TEST_SCOPE": ("test_scope", VALID["test_scope"]),
    # profiles.yml: no var behind these two, the message names the env var
    "SPARKIFY_DUCKDB_PATH": ("SPARKIFY_DUCKDB_PATH", f"{WAREHOUSE_DIR}/sparkify.duckdb"),
    "SPARKIFY_S3_ENDPOINT_URL": ("SPARKIFY_S3_ENDPOINT_URL", "http://127.0.0.1:9000"),
}


def inject(valid: str, attack: str) -> str:
    """The attack inside the value: before a file extension (so the value still ends right), else at the end."""
    for extension in (".json", ".duckdb"):
        if valid.endswith(extension):
            return valid.removesuffix(extension) + attack + extension
    return valid + attack


def overlong(valid: str) -> str:
    """Over 5,000 characters, each of them allowed in the value: only the length is wrong."""
    if valid.startswith("arn:aws"):  # the partition (aws, aws-cn, ...) is the open-ended part of an ARN
        return valid.replace("arn:aws", "arn:aws" + "-cn" * 2000, 1)
    if re.fullmatch(r"[a-z]{2}-[a-z]+-[0-9]", valid):  # a region
        return valid.replace("-", "-" + "west" * 1300, 1)
    if re.fullmatch(r"[0-9.]+", valid):
        return "1" * 5001
    if valid.startswith("http://"):
        return valid.replace("127.0.0.1", "a" * 5000 + ".example", 1)
    if "/" in valid or "." in valid or "_" in valid:
        return inject(valid, "a" * 5001)
    return valid * (5001 // len(valid) + 1)


# Attacks tried on every var and every env fallback.
ATTACKS: dict[str, Callable[[str], str]] = {
    "quote-statement": lambda v: inject(v, "'; drop table staging_events; --"),
    "double-quote": lambda v: inject(v, '"; drop table staging_events; --'),
    "backslash": lambda v: inject(v, "\\"),  # escapes the closing quote of a Redshift literal
    "unicode-quote": lambda v: inject(v, "\u2019"),
    "fullwidth-quote": lambda v: inject(v, "\uff07"),  # NFKC-normalises to '
    "comment": lambda v: inject(v, "/**/"),
    "newline": lambda v: inject(v, "\ndrop table staging_events"),
    "nul": lambda v: inject(v, "\x00"),
    "overlong": overlong,
}
# Path attacks on the vars that become paths or S3 keys.
PATH_ATTACKS: dict[str, dict[str, str]] = {
    "data_root": {
        "traversal": "data/sparkify/../../..",
        "s3-traversal": "s3://udacity-dend/../other-bucket",
        "glob-star": "data/*",
        "glob-question": "data/sparkif?",
        "glob-bracket": "data/[s]parkify",
        "home": "~/sparkify",
        "newline-before-slash": "data/sparkify\n/",
    },
    "events_prefix": {
        "traversal": "../log_data",
        "absolute": "/etc",
        "glob-star": "log_*",
        "glob-question": "log_dat?",
        "glob-bracket": "log_dat[a]",
        "newline-before-slash": "log_data\n/",
    },
    "songs_prefix": {
        "traversal": "song_data/../..",
        "absolute": "/song_data",
        "glob-star": "song_data/**",
        "glob-question": "song_dat?",
        "glob-bracket": "song_dat[a]",
        "newline-before-slash": "song_data\n/",
    },
    "events_day_key": {
        "traversal": "../%Y/%m/%Y-%m-%d-events.json",
        "absolute": "/%Y/%m/%Y-%m-%d-events.json",
        "glob-star": "%Y/%m/*-%d-events.json",
        "glob-question": "%Y/%m/%Y-%m-%d-event?.json",
        "glob-bracket": "%Y/%m/%Y-%m-%d-event[s].json",
        "encoded-traversal": "%2e%2e/%Y-%m-%d-events.json",
        "directive-newline": "%Y/%m/%Y-%m-%d%n-events.json",
        "directive-spaces": "%Y/%m/%c-%d.json",
    },
    "events_json_option": {
        "traversal": "../log_json_path.json",
        "s3-traversal": "s3://udacity-dend/../log_json_path.json",
        "s3-without-key": "s3://udacity-dendlog_json_path.json",
        "glob-star": "log_*.json",
        "glob-question": "log_json_pat?.json",
        "glob-bracket": "log_json_pat[h].json",
        "nul-truncation": "/etc/passwd\x00.json",
    },
    "songs_json_option": {
        "traversal": "songs/../../songs.json",
        "s3-traversal": "s3://udacity-dend/songs/../../x.json",
        "glob-star": "*.json",
        "glob-question": "song?.json",
        "glob-bracket": "song[s].json",
        "nul-truncation": "/etc/passwd\x00.json",
    },
}
ENV_PATH_ATTACKS: dict[str, dict[str, str]] = {
    "SPARKIFY_DATA_ROOT": {k: v for k, v in PATH_ATTACKS["data_root"].items() if "\x00" not in v},
    "SPARKIFY_DUCKDB_PATH": {
        "traversal": f"{WAREHOUSE_DIR}/../sparkify.duckdb",
        "glob-star": f"{WAREHOUSE_DIR}/*.duckdb",
    },
}


@dataclass(frozen=True)
class Case:
    id: str
    target: str  # duckdb: dbt build on the shared warehouse; redshift: the COPY rendered offline
    shown_name: str  # the name the error message must show
    value: str
    vars: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def resolved(self, warehouse_dir: Path) -> Case:
        def fill(text: str) -> str:
            return text.replace(WAREHOUSE_DIR, str(warehouse_dir))

        return Case(
            self.id,
            self.target,
            self.shown_name,
            fill(self.value),
            {k: fill(v) for k, v in self.vars.items()},
            {k: fill(v) for k, v in self.env.items()},
        )


def base_vars(target: str) -> dict[str, str]:
    """Redshift COPY needs an s3:// data root."""
    return {"data_root": "s3://udacity-dend"} if target == "redshift" else {}


def var_case(target: str, name: str, attack: str, value: str) -> Case:
    partner = {PARTNER[name]: VALID[PARTNER[name]]} if name in PARTNER else {}
    return Case(f"{target}-{name}-{attack}", target, name, value, vars={**base_vars(target), **partner, name: value})


def env_case(target: str, env_name: str, attack: str, value: str) -> Case:
    shown_name = ENV_FALLBACKS[env_name][0]
    vars = {k: v for k, v in base_vars(target).items() if k != shown_name}  # a var would hide its env fallback
    partner = {}
    if shown_name in PARTNER:  # the other bound of the window, valid and by env too
        partner = {f"SPARKIFY_{PARTNER[shown_name].upper()}": VALID[PARTNER[shown_name]]}
    return Case(f"{target}-{env_name}-{attack}", target, shown_name, value, vars=vars, env={**partner, env_name: value})


def build_cases() -> list[Case]:
    cases = []
    for name in PROJECT_VARS:
        if name not in VALID:
            continue  # reported by test_every_var_and_env_fallback_has_cases
        cases += [var_case("duckdb", name, attack, make(VALID[name])) for attack, make in ATTACKS.items()]
        cases += [var_case("duckdb", name, attack, value) for attack, value in PATH_ATTACKS.get(name, {}).items()]
        redshift_valid = "s3://udacity-dend" if name == "data_root" else VALID[name]
        cases.append(var_case("redshift", name, "quote-statement", ATTACKS["quote-statement"](redshift_valid)))
    for env_name, (_, valid) in ENV_FALLBACKS.items():
        # An environment variable cannot hold a NUL (the OS strings are NUL-terminated): no nul attack.
        attacks = {attack: make(valid) for attack, make in ATTACKS.items() if attack != "nul"}
        attacks |= ENV_PATH_ATTACKS.get(env_name, {})
        cases += [env_case("duckdb", env_name, attack, value) for attack, value in attacks.items()]
        if env_name != "SPARKIFY_DUCKDB_PATH":  # the redshift target has no DuckDB file
            cases.append(env_case("redshift", env_name, "quote-statement", ATTACKS["quote-statement"](valid)))
    cases.append(var_case("redshift", "landing_schema", "double-quote", ATTACKS["double-quote"]("sparkify")))
    return cases


CASES = build_cases()


def shown(value: str) -> str:
    """How sparkify_invalid_var shows a value: JSON-quoted, cut after 200 characters."""
    return json.dumps(value[:200]) + (f" (first 200 of {len(value)} characters)" if len(value) > 200 else "")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def redshift_args(vars: dict[str, str]) -> list[str]:
    """The Redshift COPY of the events, rendered without connecting anywhere (as test_redshift_copy_sql.py)."""
    args = ["compile", "--quiet", "--no-populate-cache", "--target", "redshift"]
    return [*args, "--inline", "{{ copy_json('staging_events') }}", "--vars", json.dumps(vars)]


def touched(case: Case) -> set[str]:
    """The names a case sets: the attacked one, and the window's other bound."""
    return {case.shown_name, *([PARTNER[case.shown_name]] if case.shown_name in PARTNER else [])}


def batches(cases: list[Case]) -> list[list[Case]]:
    """The cases in groups that one dbt call can refuse together (sparkify_settings names every invalid var): one
    target; no name attacked or set twice; no var that would hide another case's env fallback. First fit, in
    order, so the groups are the same in every run."""
    groups: list[list[Case]] = []
    for case in cases:
        for group in groups:
            names = set().union(*map(touched, group))
            var_keys = set().union(*(c.vars for c in group)) | set(case.vars)
            env_shown = {c.shown_name for c in [*group, case] if c.env}
            merged_vars = [c.vars for c in group]
            if (
                group[0].target == case.target
                and not touched(case) & names
                and not var_keys & env_shown
                and all(other.get(k, v) == v for other in merged_vars for k, v in case.vars.items())
            ):
                group.append(case)
                break
        else:
            groups.append([case])
    return groups


def dbt_call(group: list[Case], warehouse: Warehouse, workdir: Path) -> DbtCall:
    """One dbt call with every case of the group injected at once."""
    vars = {k: v for case in group for k, v in case.vars.items()}
    env = {k: v for case in group for k, v in case.env.items()}
    if group[0].target == "redshift":
        return DbtCall(redshift_args(vars), base_env(**{"SPARKIFY_IAM_ROLE": ROLE, **env}), str(workdir))
    env = base_env(**{"SPARKIFY_DUCKDB_PATH": str(warehouse.path), **env})
    return DbtCall(["build", "--vars", json.dumps(vars)], env, str(workdir))


def refused_names(output: str) -> set[str]:
    """The names of every var an error refused."""
    return set(re.findall(r"Invalid var ([A-Za-z0-9_]+)=", output))


@dataclass
class Outcomes:
    warehouse: Warehouse
    sha_before: str
    files_before: list[str]
    results: dict[str, DbtResult]
    control_warehouse: Warehouse
    control_sha_before: str
    cases: dict[str, Case]
    groups: dict[str, list[Case]]  # case id -> the cases refused by the same dbt call


@pytest.fixture(scope="module")
def outcomes(full_build: Warehouse, tmp_path_factory, request) -> Outcomes:
    """Runs the selected cases (all by default), grouped into as few dbt calls as refuse them together, and two
    controls with valid values, in one batch of dbt calls, against one copy of the full build."""
    base = tmp_path_factory.mktemp("injection")
    warehouse = full_build.copy_to(base / "warehouse")
    control = full_build.copy_to(base / "control_warehouse")
    selected = {
        item.callspec.params["case_id"]
        for item in request.session.items
        if "case_id" in getattr(getattr(item, "callspec", None), "params", {})
    }
    cases = {case.id: case.resolved(warehouse.workdir) for case in CASES if case.id in selected}
    groups = batches(list(cases.values()))
    calls = []
    for number, group in enumerate(groups):
        workdir = base / "runs" / f"{group[0].target}-{number:03d}"
        workdir.mkdir(parents=True)
        calls.append(dbt_call(group, warehouse, workdir))
    # Controls: the same calls with nothing injected must run (so the checks below can fail). The env
    # fallbacks carry their valid values (a var would hide them).
    valid_env = {name: valid for name, (_, valid) in ENV_FALLBACKS.items() if name != "SPARKIFY_DUCKDB_PATH"}
    from_env = {shown_name for shown_name, _ in ENV_FALLBACKS.values()}
    calls.append(
        DbtCall(
            ["build", "--vars", json.dumps({k: v for k, v in VALID.items() if k not in from_env})],
            base_env(**valid_env, SPARKIFY_DUCKDB_PATH=str(control.path)),
            str(base / "control_duckdb"),
        )
    )
    redshift_valid = {**VALID, "data_root": "s3://udacity-dend"}
    calls.append(
        DbtCall(redshift_args(redshift_valid), base_env(SPARKIFY_IAM_ROLE=ROLE), str(base / "control_redshift"))
    )
    files_before = sorted(p.name for p in warehouse.workdir.iterdir())
    sha_before, control_sha_before = sha256(warehouse.path), sha256(control.path)
    *refused, control_duckdb, control_redshift = run_dbt_batch(calls)
    results = {case.id: result for group, result in zip(groups, refused, strict=True) for case in group}
    results |= {"control-duckdb": control_duckdb, "control-redshift": control_redshift}
    group_of = {case.id: group for group in groups for case in group}
    return Outcomes(warehouse, sha_before, files_before, results, control, control_sha_before, cases, group_of)


def test_every_var_and_env_fallback_has_cases():
    """A var or SPARKIFY_* env var added to the project without attacks here fails this test."""
    assert set(PROJECT_VARS) - set(VALID) == set(), "add a valid value for the new var to VALID"
    read = set()
    for path in [PROJECT_DIR / "profiles.yml", PROJECT_DIR / "dbt_project.yml", *PROJECT_DIR.glob("macros/**/*.sql")]:
        read |= set(re.findall(r"env_var\(\s*['\"](SPARKIFY_[A-Z0-9_]+)['\"]", path.read_text()))
    for path in PROJECT_DIR.glob("models/**/*"):
        if path.suffix in (".sql", ".yml"):
            read |= set(re.findall(r"env_var\(\s*['\"](SPARKIFY_[A-Z0-9_]+)['\"]", path.read_text()))
    assert read == set(ENV_FALLBACKS)
    attacked = {case.shown_name for case in CASES}
    assert set(PROJECT_VARS) | {name for name, _ in ENV_FALLBACKS.values()} == attacked


@pytest.mark.parametrize("case_id", [case.id for case in CASES])
def test_injection_is_refused_before_anything_runs(outcomes: Outcomes, case_id: str):
    case, result = outcomes.cases[case_id], outcomes.results[case_id]
    assert result.returncode == 2, result.output[-3000:]
    assert f"Invalid var {case.shown_name}={shown(case.value)}: expected " in result.output, result.output[-3000:]
    # The call that refused it named every case injected with it, and nothing else (no valid value refused).
    assert refused_names(result.output) == {c.shown_name for c in outcomes.groups[case_id]}, result.output[-3000:]
    if case.target == "redshift":
        assert not re.search(r"^(begin|copy|delete|insert|create)\b", result.output, re.MULTILINE | re.IGNORECASE)


def test_controls_with_valid_values_run(outcomes: Outcomes):
    """Without the attack the same calls run: the build changes its warehouse file, the COPY renders."""
    built = outcomes.results["control-duckdb"]
    assert built.returncode == 0, built.output[-3000:]
    assert sha256(outcomes.control_warehouse.path) != outcomes.control_sha_before
    rendered = outcomes.results["control-redshift"]
    assert rendered.returncode == 0, rendered.output[-3000:]
    assert "from 's3://udacity-dend/log_data/2018/11/2018-11-15-events.json'" in rendered.output
    assert f"iam_role '{ROLE}'" in rendered.output
    assert re.search(r"^copy sparkify_load__staging_events ", rendered.output, re.MULTILINE)


@pytest.mark.parametrize("case_id", ["duckdb-data_root-quote-statement", "redshift-SPARKIFY_IAM_ROLE-quote-statement"])
def test_batch_gives_what_a_dbt_process_gives(outcomes: Outcomes, tmp_path: Path, case_id: str):
    """dbt_batch.py runs dbt's own entry point: the call of the case's group gives the same exit code and messages
    as the dbt script."""
    call = dbt_call(outcomes.groups[case_id], outcomes.warehouse, tmp_path)
    alone = run_dbt_process(call.args, tmp_path, call.env)
    assert alone.returncode == outcomes.results[case_id].returncode == 2

    def message(output: str) -> list[str]:
        return [line.strip() for line in output.splitlines() if "Invalid var " in line]

    assert message(alone.output) == message(outcomes.results[case_id].output) != []


def test_no_case_created_or_changed_anything(outcomes: Outcomes):
    """The shared warehouse is byte-for-byte what it was, and no file appeared next to it."""
    assert sha256(outcomes.warehouse.path) == outcomes.sha_before
    assert sorted(p.name for p in outcomes.warehouse.workdir.iterdir()) == outcomes.files_before


# --- The DAG side: settings from the environment / MWAA configuration options ----------------------

DAG_SETTINGS = [
    "DATA_ROOT",
    "IAM_ROLE",
    "S3_REGION",
    "S3_ENDPOINT_URL",
    "LANDING_SCHEMA",
    "DUCKDB_PATH",
    "REDSHIFT_DEPLOYMENT",
]
DAG_ONLY_ATTACKS: dict[str, dict[str, str]] = {
    "REDSHIFT_SCHEMA": {"double-quote": 'sparkify"; drop table staging_events; --', "newline": "sparkify\nx"},
    "DOCS_BUCKET": {"traversal": "docs/../other", "uppercase": "Sparkify_Docs"},
    "DOCS_PREFIX": {"traversal": "sparkify-docs/../..", "glob-star": "sparkify-*", "quote": "docs'"},
    "REDSHIFT_AUTH": {"unknown": "kerberos", "quote": "iam'"},
    # templated into {{ conn.<id>.host }}: a Jinja escape would run in the task
    "REDSHIFT_CONN_ID": {"jinja": "x.host }}{{ 7 * 7", "space": "redshift default", "hyphen": "redshift-prod"},
}


def dag_cases() -> list[tuple[str, str, str]]:
    """(setting, attack, value): the dbt env fallback attacks, and attacks on the settings only the DAG uses."""
    cases = []
    for name in DAG_SETTINGS:
        env_name = f"SPARKIFY_{name}"
        valid = ENV_FALLBACKS[env_name][1].replace(WAREHOUSE_DIR, "/tmp/warehouse")
        attacks = {attack: make(valid) for attack, make in ATTACKS.items() if attack != "nul"}
        attacks |= {
            k: v.replace(WAREHOUSE_DIR, "/tmp/warehouse") for k, v in ENV_PATH_ATTACKS.get(env_name, {}).items()
        }
        cases += [(name, attack, value) for attack, value in attacks.items()]
    cases += [(name, attack, value) for name, attacks in DAG_ONLY_ATTACKS.items() for attack, value in attacks.items()]
    return cases


DAG_CASES = dag_cases()


@pytest.fixture(scope="module")
def settings_class():
    import airflow  # noqa: F401  (Airflow initialises before cosmos, one of its plugins)

    sys.path.insert(0, str(PROJECT_DIR / "dags"))
    from sparkify_pipeline.settings import Settings

    return Settings


def test_every_checked_dag_setting_has_cases(settings_class):
    """A setting settings.py passes to dbt, or checks, without attacks here fails this test."""
    from sparkify_pipeline import settings

    assert {*settings.PASSED_TO_DBT, "DATA_ROOT", "DUCKDB_PATH"} == set(DAG_SETTINGS)
    assert set(settings.CHECKED) == {*DAG_SETTINGS, *DAG_ONLY_ATTACKS}


@pytest.mark.parametrize("prefix", ["SPARKIFY_", "AIRFLOW__SPARKIFY__"])
@pytest.mark.parametrize(("name", "attack", "value"), DAG_CASES, ids=[f"{n}-{a}" for n, a, _ in DAG_CASES])
def test_dag_refuses_the_attack_at_import(settings_class, prefix: str, name: str, attack: str, value: str):
    """The same values never reach dbt, the input check or S3 from the DAG: its import fails naming the setting."""
    with pytest.raises(ValueError, match=r"^SPARKIFY_") as refused:
        settings_class.from_env({f"{prefix}{name}": value})
    expected = repr(value[:200]) + (f" (first 200 of {len(value)} characters)" if len(value) > 200 else "")
    assert str(refused.value).startswith(f"SPARKIFY_{name}={expected}: expected ")


def test_dag_accepts_and_passes_on_valid_settings(settings_class):
    env = {f"AIRFLOW__SPARKIFY__{name}": ENV_FALLBACKS[f"SPARKIFY_{name}"][1] for name in DAG_SETTINGS}
    env |= {
        "AIRFLOW__SPARKIFY__DATA_ROOT": "s3://udacity-dend/sparkify",
        "AIRFLOW__SPARKIFY__DUCKDB_PATH": "/tmp/warehouse/sparkify.duckdb",
        "AIRFLOW__SPARKIFY__REDSHIFT_SCHEMA": "sparkify_prod",
        "AIRFLOW__SPARKIFY__DOCS_BUCKET": "sparkify-docs-site",
        "AIRFLOW__SPARKIFY__DOCS_PREFIX": "/docs/sparkify/",
    }
    settings = settings_class.from_env(env)
    assert settings.dbt_env["SPARKIFY_DATA_ROOT"] == "s3://udacity-dend/sparkify"
    assert settings.dbt_env["SPARKIFY_IAM_ROLE"] == ROLE
    assert settings.dbt_env["SPARKIFY_S3_REGION"] == "us-west-2"
    assert settings.dbt_env["SPARKIFY_S3_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    assert settings.dbt_env["SPARKIFY_LANDING_SCHEMA"] == "main"
    assert settings.dbt_env["SPARKIFY_DUCKDB_PATH"] == "/tmp/warehouse/sparkify.duckdb"
    assert (settings.redshift_schema, settings.docs_bucket, settings.docs_prefix) == (
        "sparkify_prod",
        "sparkify-docs-site",
        "docs/sparkify",
    )
