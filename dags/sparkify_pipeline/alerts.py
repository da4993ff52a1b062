"""What the DAG does when dbt data tests of quality_checks warn: the run stays green, the warnings do not.

Cosmos calls on_dbt_warnings(context) after `dbt test` finished with warnings (and no failure), with
context["test_names"] and context["test_results"] (dbt's result message of each). It logs one line
per warned test in the task log, then calls the hook of setting SPARKIFY_ON_WARNING
(package.module:function, imported here, only when tests warned) with the same context.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from sparkify_pipeline.settings import SETTINGS

log = logging.getLogger(__name__)


def warning_summary(test_names: list[str], test_results: list[str]) -> str:
    """'sparkify: 2 dbt data tests warned: name: message; name: message'."""
    count = len(test_names)
    warned = "; ".join(f"{name}: {result}" for name, result in zip(test_names, test_results, strict=False))
    return f"sparkify: {count} dbt data test{'' if count == 1 else 's'} warned: {warned}"


def load_hook(spec: str) -> Callable[[Mapping[str, Any]], Any]:
    """The function named by package.module:function; a clear error naming the setting if it is not there."""
    module_name, _, function_name = spec.partition(":")
    try:
        hook = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        # A wrong setting does not fix itself on retry: fail the task at once, visibly.
        raise AirflowFailException(f"SPARKIFY_ON_WARNING={spec!r} cannot be imported: {error}") from error
    if not callable(hook):
        raise AirflowFailException(f"SPARKIFY_ON_WARNING={spec!r} is not callable")
    return hook


def on_dbt_warnings(context: Mapping[str, Any], hook: str | None = SETTINGS.on_warning) -> None:
    """on_warning_callback of the quality checks: the summary in the task log, then the user's hook."""
    log.warning(warning_summary(list(context["test_names"]), list(context["test_results"])))
    if hook:
        load_hook(hook)(context)
