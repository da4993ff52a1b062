"""The last check of every test session: nothing the session wrote holds a secret.

After every test has run (under pytest-xdist: after every worker has finished), every file the session
wrote under its temporary directory (dbt logs and targets, Airflow homes and task logs, moto and harness
logs, warehouses' folders) and the repo's own output folders (logs/, target/, .airflow/, artifacts/) are
scanned for credential-shaped text and for the credentials the suite itself handed out
(conftest.SESSION_SECRETS: every credential-named env value that went through base_env, in any worker)
and Airflow's generated keys. A finding fails the session; the summary shows it redacted. The scanner
and its exclusions: secret_scan.py; its own tests: test_secrets.py.
"""

from __future__ import annotations

import pytest

REPO_OUTPUTS = ["logs", "target", ".airflow", "artifacts"]
RESULT = pytest.StashKey[tuple[int, list]]()


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workeroutput")


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_CollectWorkerSecrets(), "sparkify_worker_secrets")


class _CollectWorkerSecrets:
    """The controller learns the secrets each worker handed out."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        from conftest import SESSION_SECRETS

        SESSION_SECRETS.update(getattr(node, "workeroutput", {}).get("session_secrets", {}))


def scan_session(config: pytest.Config) -> tuple[int, list]:
    """(files scanned, findings) over what this session wrote. Under xdist the controller's base
    temporary directory holds every worker's."""
    from conftest import PROJECT_DIR, SESSION_SECRETS
    from secret_scan import files_under, scan_files

    roots = [config._tmp_path_factory.getbasetemp(), *(PROJECT_DIR / name for name in REPO_OUTPUTS)]
    files = list(files_under(roots))
    return len(files), scan_files(files, known=dict(SESSION_SECRETS))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    from conftest import SESSION_SECRETS

    if _is_xdist_worker(session.config):
        session.config.workeroutput["session_secrets"] = dict(SESSION_SECRETS)
        return
    scanned, findings = scan_session(session.config)
    session.config.stash[RESULT] = (scanned, findings)
    if findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if RESULT not in config.stash:
        return
    scanned, findings = config.stash[RESULT]
    if findings:
        terminalreporter.section("secrets found in what the session wrote", red=True)
        for finding in findings:
            terminalreporter.line(str(finding))
    terminalreporter.line(f"secret scan of what the session wrote: {scanned} files, {len(findings)} findings")
