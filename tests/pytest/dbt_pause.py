"""Runs one dbt command and freezes the whole process (SIGSTOP) at an exact SQL statement of a node.

    python dbt_pause.py NODE {before,after} STATEMENT_REGEX -- DBT_ARGS...

dbt runs in-process through dbtRunner, the programmatic entry point of the CLI (and how Cosmos runs
dbt in the local DAG). A callback sees every event: when node NODE is about to run (before: dbt's
SQLQuery event) or has just run (after: the next SQLQueryStatus) a statement matching
STATEMENT_REGEX (re.search on the statement lowercased, without dbt's query comment, white space
collapsed), it prints
"DBT_PAUSED ..." and stops the process. The test then SIGKILLs it there (a crash at a known point,
not a race against a millisecond statement) or SIGCONTs it (a run held mid-way). Exit code as dbt's:
0 success, 1 failure, 2 error; 3 when the statement never came.
"""

from __future__ import annotations

import os
import re
import signal
import sys

from dbt.cli.main import dbtRunner

QUERY_COMMENT = re.compile(r"^\s*/\*.*?\*/", re.DOTALL)


def normalized(sql: str) -> str:
    return " ".join(QUERY_COMMENT.sub("", sql).split()).lower()


def main() -> int:
    if len(sys.argv) < 5 or sys.argv[2] not in ("before", "after") or sys.argv[4] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    node, when, statement, dbt_args = sys.argv[1], sys.argv[2], re.compile(sys.argv[3]), sys.argv[5:]
    state = {"armed": False, "paused": False}

    def pause(sql: str) -> None:
        state["paused"] = True
        print(f"DBT_PAUSED node={node} {when}: {sql[:200]}", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)

    def callback(event) -> None:
        if state["paused"] or not event.info.name.startswith("SQLQuery"):
            return
        node_info = getattr(event.data, "node_info", None)
        if node_info is None or node_info.unique_id.split(".")[-1] != node:
            return
        if event.info.name == "SQLQuery":
            sql = normalized(event.data.sql)
            if statement.search(sql):
                if when == "before":
                    pause(sql)
                else:
                    state["armed"] = sql
        elif event.info.name == "SQLQueryStatus" and state["armed"]:
            pause(state["armed"])

    result = dbtRunner(callbacks=[callback]).invoke(dbt_args)
    if not state["paused"]:
        print(f"DBT_NOT_PAUSED: node {node} never ran a statement matching {statement.pattern!r}", flush=True)
        return 3
    if result.exception is not None:
        return 2
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
