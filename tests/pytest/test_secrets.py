"""No keys, passwords or tokens in the tree, nor in anything the test session wrote.

- The git-tracked tree.
- At the end of every session (session_scan.py, after every pytest-xdist worker): every file the session
  wrote and the repo's own output folders, for credential-shaped text, for the credentials the suite
  itself handed out (conftest.SESSION_SECRETS) and Airflow's generated keys; a finding fails the session.
Findings are reported as file:line with the secret redacted. The scanner and its exclusions, each
justified: secret_scan.py.
"""

from __future__ import annotations

import secrets
import string
import subprocess
import sys
import tempfile
from pathlib import Path

from conftest import CREDENTIALS, PROJECT_DIR, SESSION_SECRETS, base_env, run_dbt
from secret_scan import EXCLUDED_VALUES, Finding, files_under, git_tracked_files, scan_files

ROLE = "arn:aws:iam::123456789012:role/sparkify-copy"


def random_text(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Fake secrets are made at run time: the tree holds none, not even fake ones."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def report(findings: list[Finding]) -> str:
    return "secrets found:\n" + "\n".join(str(finding) for finding in findings)


def test_scanner_reports_every_kind_of_secret_redacted():
    planted = {
        "aws-access-key-id": "AKIA" + random_text(16, string.ascii_uppercase + string.digits),
        "aws-secret-access-key": random_text(40, string.ascii_letters + string.digits + "/+"),
        "secret-assignment": random_text(20),
        "password-in-url": random_text(14),
        "private-key": "-----BEGIN " + "RSA PRIVATE" + " KEY-----",
        "github-token": "ghp_" + random_text(36),
        "slack-token": "xoxb-" + random_text(12, string.digits) + "-" + random_text(24),
        "secret-setting": random_text(32),
        "known-secret": random_text(18),
    }
    files = {
        "settings.py": [
            "import os",
            f"REDSHIFT_PASSWORD = '{planted['secret-assignment']}'",
            f"DSN = 'postgresql://sparkify:{planted['password-in-url']}@db.example.com:5439/dev'",
        ],
        "credentials.cfg": [
            "[default]",
            f"aws_access_key_id = {planted['aws-access-key-id']}",
            f"aws_secret_access_key = {planted['aws-secret-access-key']}",
        ],
        "key.pem": [planted["private-key"], random_text(64), "-----END " + "RSA PRIVATE" + " KEY-----"],
        "run.log": [
            "12:00:00  Running with dbt=1.11.16",
            f"12:00:01  posting to slack with {planted['slack-token']}",
            f"12:00:02  cloning with {planted['github-token']}",
            f"12:00:03  api_token={planted['secret-setting']}",
            f"12:00:04  connected as sparkify/{planted['known-secret']}",
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:  # outside the session's folder: the last test scans that
        for name, lines in files.items():
            Path(tmp, name).write_text("\n".join(lines) + "\n")
        findings = scan_files(files_under([Path(tmp)]), known={planted["known-secret"]: "REDSHIFT_PASSWORD"})
        where = {(f.rule, f.path.name, f.line) for f in findings}
    assert where == {
        ("secret-assignment", "settings.py", 2),
        ("password-in-url", "settings.py", 3),
        ("aws-access-key-id", "credentials.cfg", 2),
        ("aws-secret-access-key", "credentials.cfg", 3),
        ("private-key", "key.pem", 1),
        ("slack-token", "run.log", 2),
        ("github-token", "run.log", 3),
        ("secret-setting", "run.log", 4),
        ("known-secret", "run.log", 5),
    }
    messages = "\n".join(str(f) for f in findings)
    assert f"{Path(tmp, 'run.log')}:5: known-secret: <REDSHIFT_PASSWORD>" in messages
    for secret in planted.values():
        if secret != planted["private-key"]:  # the header is not secret; the key under it is not shown either
            assert secret not in messages


def test_scanner_ignores_templates_and_the_listed_exclusions_only():
    generated_key = random_text(43) + "="
    files = {
        "profiles.yml": ["password: \"{{ env_var('REDSHIFT_PASSWORD', '') }}\""],
        "conftest.py": [f'CREDENTIALS = {{"AWS_SECRET_ACCESS_KEY": "{CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}"}}'],
        "deploy.env": ["REDSHIFT_PASSWORD=${REDSHIFT_PASSWORD}", "AWS_SECRET_ACCESS_KEY=testing"],
        "names.py": ['SECRET_NAMES = {value: "REDSHIFT_PASSWORD"}'],
        "bundle.js": ['e.toString=function(){return"Resolvable(token: "+(0,a.As)(this.token)+", requires"}'],
        "airflow.cfg": [
            "[core]",
            f"fernet_key = {generated_key}",
            "# Example: sql_alchemy_conn_async = postgresql+asyncpg://postgres:" + "airflow@postgres/airflow",
        ],
        "task.log": ["[2018-11-15] task started", f"[2018-11-15] config: fernet_key {generated_key}"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, lines in files.items():
            Path(tmp, name).write_text("\n".join(lines) + "\n")
        findings = scan_files(files_under([Path(tmp)]))
    # The generated key is fine where Airflow keeps it, not in a log.
    assert [(f.path.name, f.line, f.rule, f.shown) for f in findings] == [
        ("task.log", 2, "known-secret", "<airflow.cfg fernet_key>")
    ]
    assert {CREDENTIALS["AWS_SECRET_ACCESS_KEY"]} == EXCLUDED_VALUES


def test_a_password_handed_to_dbt_stays_out_of_its_output_and_logs(tmp_path):
    """The Redshift password reaches dbt as REDSHIFT_PASSWORD (as on MWAA); dbt must not echo it."""
    handed_out = random_text(24)
    env = base_env(REDSHIFT_PASSWORD=handed_out, REDSHIFT_USER="sparkify_loader", SPARKIFY_IAM_ROLE=ROLE)
    assert SESSION_SECRETS[handed_out] == "REDSHIFT_PASSWORD"  # so the last test looks for it everywhere too
    args = ["compile", "--no-populate-cache", "--target", "redshift", "--inline", "{{ copy_json('staging_events') }}"]
    result = run_dbt([*args, "--vars", '{"data_root": "s3://udacity-dend"}'], tmp_path, env)
    assert result.returncode == 0, result.output[-3000:]
    assert "copy sparkify_load__staging_events" in result.output
    assert (tmp_path / "logs" / "dbt.log").stat().st_size > 0
    assert handed_out not in result.output
    findings = scan_files(files_under([tmp_path]), known={handed_out: "REDSHIFT_PASSWORD"})
    assert findings == [], report(findings)


def test_git_tracked_tree_holds_no_secret():
    files = git_tracked_files(PROJECT_DIR)
    assert len(files) > 50  # the whole tree, not an empty listing
    findings = scan_files(files)
    assert findings == [], report(findings)


def test_a_secret_a_test_writes_fails_the_whole_session():
    """The session-end scan (session_scan.py) runs after every worker of a pytest-xdist session: a test
    that logs a credential it handed out through base_env fails the session, which names the file."""
    handed_out = random_text(24)
    with tempfile.TemporaryDirectory() as tmp:  # outside this session's folder, which its own scan reads
        done = run_leaking_session(Path(tmp), handed_out)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout
    assert "dbt.log:1: known-secret: <REDSHIFT_PASSWORD>" in done.stdout, done.stdout[-3000:]
    assert handed_out not in done.stdout + done.stderr


def run_leaking_session(tmp_path: Path, handed_out: str) -> subprocess.CompletedProcess:
    """A pytest session of two tests under two xdist workers; one logs the password it handed out."""
    (tmp_path / "test_leak.py").write_text(
        "from conftest import base_env\n\n"
        "def test_leaks(tmp_path):\n"
        f"    env = base_env(REDSHIFT_PASSWORD={handed_out!r})\n"
        "    (tmp_path / 'dbt.log').write_text('connecting with ' + env['REDSHIFT_PASSWORD'])\n"
        "\n"
        "def test_clean():\n"
        "    assert True\n"
    )
    command = [sys.executable, "-m", "pytest", "-p", "session_scan", "-n", "2", "-p", "no:cacheprovider"]
    command += ["--rootdir", str(tmp_path), "--basetemp", str(tmp_path / "session"), str(tmp_path / "test_leak.py")]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env={**base_env(), "PYTHONPATH": str(Path(__file__).parent)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
