"""The report from the metrics: which saved query feeds which part, and when the warehouse has nothing yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sparkify_report import charts
from sparkify_report.page import format_value, render, render_empty
from sparkify_report.semantic import Metrics

TITLE = "Sparkify listening report"
TILES = {  # headline_figures' metrics, as KPI tiles: how each is read
    "plays": "count",
    "listeners": "count",
    "sessions": "count",
    "paid_play_share": "share",
    "plays_per_session": "ratio",
    "plays_per_listener": "ratio",
    "catalogue_match_rate": "share",
    "free_to_paid_conversion_30d": "share",
}
CHARTS = [  # the saved queries drawn, in the page's order
    "daily_listening", "plays_by_level", "plays_by_hour_of_day", "plays_by_weekday", "top_songs", "top_artists",
    "top_listeners", "conversion_by_week", "catalogue_coverage",
]  # fmt: skip
FACT = "model.sparkify.fct_songplays"
SONGS = "model.sparkify.dim_songs"
LANDING_EVENTS = "source.sparkify.sparkify.staging_events"


def _exists(metrics: Metrics, unique_id: str) -> bool:
    node = metrics.manifest["nodes"].get(unique_id) or metrics.manifest["sources"][unique_id]
    identifier = node.get("alias") or node.get("identifier") or node["name"]
    with metrics.adapter.connection_named("sparkify_report"):
        return metrics.adapter.get_relation(node["database"], node["schema"], identifier) is not None


def freshness(metrics: Metrics) -> str:
    """The data's freshness line: the latest load, the latest play."""
    loaded = metrics.scalar(f"select max(_loaded_at) from {metrics.relation(LANDING_EVENTS)}")
    played = metrics.play_span()[1]
    return f"Data as of the latest load, {_utc(loaded)} UTC; the latest play started {_utc(played)} UTC."


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _utc(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def build(metrics: Metrics, docs_link: str | None = None) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The report's HTML, and the rows of every saved query it drew (each queried once)."""
    for needed in (FACT, SONGS, LANDING_EVENTS):
        if not _exists(metrics, needed):
            name = needed.rsplit(".", 1)[1]
            return render_empty(TITLE, f"The warehouse has no {name} table: run `make build` first.", docs_link), {}
    rows = {"headline_figures": metrics.query("headline_figures")}
    (headline,) = rows["headline_figures"]
    if not headline["plays"]:
        return render_empty(TITLE, "The warehouse holds no song play: nothing has been loaded.", docs_link), rows

    tiles = [
        {"name": name, "label": metrics.descriptions[name]["label"], "value": format_value(headline[name], kind),
         "description": metrics.descriptions[name]["description"]}
        for name, kind in TILES.items()
    ]  # fmt: skip
    first_play, last_play = metrics.play_span()
    songs_in_catalogue = metrics.scalar(f"select count(*) from {metrics.relation(SONGS)}")
    coverage = (
        f"{format_value(headline['catalogue_match_rate'], 'share')} of {headline['plays']:,} plays matched one of "
        f"the {songs_in_catalogue:,} songs in the catalogue; the others are counted everywhere else, but cannot "
        f"be named by song or artist."
    )
    # The days of the data only: the cumulative metric goes on for its 7 days after the latest play. (Not with
    # MetricFlow's time constraint: 0.213 applies a day-grain bound to the hour-grain column, BETWEEN day and
    # day, which keeps only the first hour of the last day.)
    days = (first_play.date(), last_play.date())
    rows["daily_listening"] = [
        row for row in metrics.query("daily_listening") if days[0] <= _date(row["metric_time__day"]) <= days[1]
    ]
    for name in CHARTS:
        rows.setdefault(name, metrics.query(name))
    drawn = [
        charts.daily_listening(rows["daily_listening"]),
        charts.plays_by_level(rows["plays_by_level"]),
        charts.plays_by_hour_of_day(rows["plays_by_hour_of_day"]),
        charts.plays_by_weekday(rows["plays_by_weekday"]),
        charts.top_songs(rows["top_songs"], coverage),
        charts.top_artists(rows["top_artists"], coverage),
        charts.top_listeners(rows["top_listeners"]),
        charts.conversion_by_week(rows["conversion_by_week"], last_play),
        charts.catalogue_coverage(rows["catalogue_coverage"]),
    ]
    page = render(TITLE, freshness(metrics), tiles, drawn, metrics.saved_queries, metrics.descriptions, docs_link)
    return page, rows
