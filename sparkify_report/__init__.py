"""The analysts' report: the project's governed metrics (MetricFlow), drawn as Vega-Lite charts in one
self-contained HTML file.

    python -m sparkify_report [--target duckdb] [--out target/report.html]

semantic.py queries the saved queries in process (no `mf` CLI), charts.py turns each into a chart or an
honest empty state, page.py writes the page with the vendored Vega builds inlined (vendor/).
"""
