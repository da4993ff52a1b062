"""python -m sparkify_report [--target T] [--out target/report.html] [--docs-link static_index.html]"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sparkify_report.semantic import MetricsError, check, load

PROJECT_DIR = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sparkify_report", description=__doc__)
    parser.add_argument("--target", default=None, help="dbt target (default: the profile's, duckdb)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument("--profiles-dir", type=Path, default=Path(os.environ.get("DBT_PROFILES_DIR", PROJECT_DIR)))
    parser.add_argument("--target-path", type=Path, default=None, help="dbt's target path (default: <project>/target)")
    parser.add_argument("--out", type=Path, default=None, help="the report file (default: <target path>/report.html)")
    parser.add_argument("--docs-link", default="static_index.html", help="the docs site, relative to the report")
    parser.add_argument("--rows", type=Path, default=None, help="also write every saved query's rows here (JSON)")
    parser.add_argument(
        "--check", action="store_true", help="only check the semantic layer: MetricFlow's validation, each query's plan"
    )
    args = parser.parse_args(argv)
    target_path = (args.target_path or args.project_dir / "target").resolve()
    out = args.out or target_path / "report.html"
    try:
        metrics = load(args.project_dir.resolve(), args.profiles_dir.resolve(), args.target, target_path)
        if args.check:
            problems = check(metrics, target_path / "semantic_manifest.json")
            for problem in problems:
                print(f"sparkify_report: {problem}", file=sys.stderr)
            print(f"sparkify_report: semantic layer {'broken' if problems else 'ok'}: {len(metrics.descriptions)} "
                  f"metrics, {len(metrics.saved_queries)} saved queries")  # fmt: skip
            return 1 if problems else 0
        from sparkify_report.report import build

        html, rows = build(metrics, args.docs_link or None)
    except MetricsError as error:
        print(f"sparkify_report: {error}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    if args.rows:
        args.rows.write_text(json.dumps(rows, default=str, indent=1) + "\n", encoding="utf-8")
    print(f"sparkify_report: wrote {out} ({len(html.encode()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
