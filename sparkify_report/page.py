"""The report as one HTML file: KPI tiles, the charts, what each metric means and how fresh the data is.

Vega, Vega-Lite and vega-embed are inlined from vendor/ (pinned npm builds, VENDOR.json): the file opens
offline and makes no network request."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from sparkify_report.charts import Chart

VENDOR = Path(__file__).resolve().parent / "vendor"
SCRIPTS = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"]
# Nothing may be fetched: inline scripts and styles only (Vega compiles expressions: unsafe-eval).
CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f8fafc; color: #0f172a; }
header, main { max-width: 1180px; margin: 0 auto; padding: 16px 24px; }
h1 { margin: 8px 0 4px; font-size: 1.6rem; } h2 { margin: 0 0 4px; font-size: 1.1rem; }
.muted { color: #475569; font-size: 0.85rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
.tile, .card { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 12px 14px; }
.tile .value { font-size: 1.5rem; font-weight: 600; margin: 4px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; margin-top: 16px; }
.statement { background: #fff7ed; border-left: 4px solid #f97316; padding: 10px 12px; }
.empty { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 24px; font-size: 1.1rem; }
dl.metrics { margin: 8px 0 0; font-size: 0.85rem; }
dl.metrics dt { font-weight: 600; } dl.metrics dd { margin: 0 0 4px; }
"""


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, default=_json_default).replace("</", "<\\/")


def _vendor_scripts() -> str:
    parts = []
    for name in SCRIPTS:
        source = (VENDOR / name).read_text(encoding="utf-8")
        lines = [line for line in source.splitlines() if not line.startswith("//# sourceMappingURL=")]
        code = "\n".join(lines).replace("</script", "<\\/script")
        parts.append(f"<script>/* {name}: vendor/VENDOR.json */\n{code}\n</script>")
    return "\n".join(parts)


def format_value(value: Any, kind: str) -> str:
    """A KPI as an analyst reads it: counts with thousands separators, shares as percentages."""
    if value is None:
        return "n/a"
    if kind == "share":
        return f"{float(value):.1%}" if float(value) >= 0.001 or value == 0 else f"{float(value):.3%}"
    if kind == "ratio":
        return f"{float(value):,.2f}"
    return f"{int(value):,}"


def _metric_list(names: list[str], descriptions: dict[str, dict[str, str]]) -> str:
    items = "".join(
        f"<dt>{escape(descriptions[name]['label'])} <span class='muted'>({escape(name)})</span></dt>"
        f"<dd>{escape(descriptions[name]['description'])}</dd>"
        for name in names
    )
    return f"<dl class='metrics'>{items}</dl>"


def render(
    title: str,
    freshness: str,
    tiles: list[dict[str, str]],
    charts: list[Chart],
    saved_queries: dict[str, dict[str, Any]],
    descriptions: dict[str, dict[str, str]],
    docs_link: str | None,
) -> str:
    """The whole page. tiles: name, label, value (formatted), description."""
    tile_html = "".join(
        f"<div class='tile' data-metric='{escape(t['name'])}' title='{escape(t['description'])}'>"
        f"<div class='muted'>{escape(t['label'])}</div><div class='value'>{escape(t['value'])}</div>"
        f"<div class='muted'>{escape(t['description'])}</div></div>"
        for t in tiles
    )
    cards, specs = [], {}
    for chart in charts:
        saved = saved_queries[chart.saved_query]
        body = (
            f"<div class='chart' id='chart-{chart.saved_query}'></div>"
            if chart.spec is not None
            else f"<p class='statement' data-statement='{chart.saved_query}'>{escape(chart.statement or '')}</p>"
        )
        if chart.spec is not None:
            specs[chart.saved_query] = chart.spec
        cards.append(
            f"<section class='card' data-saved-query='{chart.saved_query}'><h2>{escape(saved['label'])}</h2>"
            f"<div class='muted'>{escape(saved['description'])} Saved query <code>{chart.saved_query}</code>.</div>"
            f"{body}{_metric_list(saved['metrics'], descriptions)}"
            f"<div class='muted'>{escape(freshness)}</div></section>"
        )
    docs = f" · <a href='{escape(docs_link)}'>Docs site (tables, columns, lineage)</a>" if docs_link else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<style>{STYLE}</style></head>
<body><header><h1>{escape(title)}</h1><div class="muted">{escape(freshness)}{docs}</div></header>
<main><div class="tiles">{tile_html}</div><div class="cards">{"".join(cards)}</div></main>
{_vendor_scripts()}
<script id="specs" type="application/json">{_script_json(specs)}</script>
<script>
const specs = JSON.parse(document.getElementById("specs").textContent);
Promise.all(Object.entries(specs).map(([name, spec]) =>
  vegaEmbed("#chart-" + name, spec, {{actions: false, renderer: "svg"}})))
  .then(() => {{ document.body.dataset.rendered = Object.keys(specs).length; }})
  .catch((error) => {{ console.error("sparkify report: " + error); document.body.dataset.rendered = "error"; }});
</script></body></html>
"""


def render_empty(title: str, reason: str, docs_link: str | None) -> str:
    """The page of a warehouse with no song plays yet."""
    docs = f"<p><a href='{escape(docs_link)}'>Docs site</a></p>" if docs_link else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>{STYLE}</style></head>
<body data-rendered="empty"><header><h1>{escape(title)}</h1></header>
<main><div class="empty"><strong>No data yet.</strong> {escape(reason)}</div>{docs}</main></body></html>
"""
