"""How the suite is shared between pytest-xdist workers (`make test` runs three on two cores: see the Makefile).

- Tests go one by one to whichever worker is free (xdist's load scheduling), except the modules of
  ONE_WORKER_MODULES (but for the tests of ON_THEIR_OWN), which go whole to one worker: their module fixtures
  are costly (test_injection.py runs the dbt calls of all its tests as one batch; test_airflow_stack*.py start
  local Airflow stacks, about 15 s each, shared by their tests; the harness build of test_redshift_harness.py
  and the warehouses of test_reliability.py's crash tests take about 30 s each; test_mwaa_bundle.py builds two
  bundles and an image virtualenv, about 3 min), so they are made once.
  (xdist's own `xdist_group` mark does not work with pytest 9: it renames node ids, which pytest 9
  no longer allows.)
- Collection order puts the modules of LONGEST_FIRST first, ordered by measured time. xdist's LoadScope then
  hands out its work units by their number of tests (its default --loadscope-reorder): whole modules first,
  most tests first, then the single tests in collection order, so LONGEST_FIRST orders the single tests (the
  benchmark's run first), not the modules. A simulation of that scheduler with measured durations gave the
  same end either way (1,317 s as it is, 1,338 s with --no-loadscope-reorder): both cores are busy for the
  whole run (docs/testing.md), so the order only decides which worker ends last, by a few seconds.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

ONE_WORKER_MODULES = {
    "test_airflow_stack.py",
    "test_airflow_stack_failures.py",
    "test_airflow_stack_redshift.py",
    "test_injection.py",
    "test_mwaa_bundle.py",
    "test_redshift_harness.py",
    "test_reliability.py",
}
# Tests of those modules that use none of the module's costly fixtures: shared out one by one like any other test,
# so that the module's worker does not run them after its own (test_reliability.py: 350 of its 460 worker-s).
ON_THEIR_OWN = {
    "test_reliability.py::test_every_hour_of_a_day_run_twice_equals_one_full_load",
    "test_reliability.py::test_backfill_in_shuffled_day_order_equals_a_full_load",
}
LONGEST_FIRST = [
    "test_airflow_stack.py",  # a local Airflow stack, one full build and six hourly runs through its scheduler
    "test_airflow_stack_failures.py",  # a stack of its own, three full builds, five hourly runs (three fail)
    "test_airflow_stack_redshift.py",  # two stacks on the Serverless harness, their hours side by side: about 4.5 min
    "test_benchmark.py",  # one tiny benchmark run: full build, floor, two hourly DAG runs, profile: about 2.5 min
    "test_reliability.py",
    "test_mwaa_bundle.py",
    "test_redshift_harness.py",
    "test_dag.py",
    "test_window_runs.py",
    "test_convergence.py",
    "test_redshift_iam.py",
    "test_bad_input.py",
]


def module_of(nodeid: str) -> str:
    return PurePosixPath(nodeid.split("::", 1)[0]).name


def one_worker(nodeid: str) -> bool:
    """Whether the test goes with its whole module to one worker."""
    path, _, name = nodeid.partition("::")
    return module_of(nodeid) in ONE_WORKER_MODULES and f"{PurePosixPath(path).name}::{name}" not in ON_THEIR_OWN


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every worker collects the same order: the modules of LONGEST_FIRST first, in that order."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(module_of(item.nodeid), len(rank)))


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_Scheduler(), "sparkify_xdist_scheduler")


class _Scheduler:
    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log):
        if config.getvalue("dist") != "load":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class Scheduling(LoadScopeScheduling):
            """Load scheduling, one test per work unit, but a whole module for ONE_WORKER_MODULES."""

            def _split_scope(self, nodeid: str) -> str:
                return nodeid.split("::", 1)[0] if one_worker(nodeid) else nodeid

        return Scheduling(config, log)
