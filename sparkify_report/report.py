"""The report from the metrics: which saved query feeds which part, and when the warehouse has nothing yet."""

from __future__ import annotations

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


def _utc(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def build(metrics: Metrics, docs_link: str | None = None) -> str:
    """The report's HTML: every saved query queried once."""
    for needed in (FACT, SONGS, LANDING_EVENTS):
        if not _exists(metrics, needed):
            name = needed.rsplit(".", 1)[1]
            return render_empty(TITLE, f"The warehouse has no {name} table: run `make build` first.", docs_link)
    (headline,) = metrics.query("headline_figures")
    if not headline["plays"]:
        return render_empty(TITLE, "The warehouse holds no song play: nothing has been loaded.", docs_link)

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
    drawn = [
        charts.daily_listening(metrics.query("daily_listening", first_play, last_play)),
        charts.plays_by_level(metrics.query("plays_by_level")),
        charts.plays_by_hour_of_day(metrics.query("plays_by_hour_of_day")),
        charts.plays_by_weekday(metrics.query("plays_by_weekday")),
        charts.top_songs(metrics.query("top_songs"), coverage),
        charts.top_artists(metrics.query("top_artists"), coverage),
        charts.top_listeners(metrics.query("top_listeners")),
        charts.conversion_by_week(metrics.query("conversion_by_week"), last_play),
        charts.catalogue_coverage(metrics.query("catalogue_coverage")),
    ]
    return render(TITLE, freshness(metrics), tiles, drawn, metrics.saved_queries, metrics.descriptions, docs_link)
