"""Each saved query of the report as a Vega-Lite chart, or as a plain statement when its rows cannot make an
honest chart (too few catalogue matches to rank songs or artists)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fewer ranked items than this and a "top" chart says so in words instead of drawing a chart of one or two bars.
MIN_RANKED = 5
WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
WIDTH = 440
RANKED_WIDTH = 240  # beside labels of up to about 200 px


@dataclass(frozen=True)
class Chart:
    """One card of the report: its saved query, a Vega-Lite spec or, instead, a statement."""

    saved_query: str
    spec: dict[str, Any] | None = None
    statement: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def _base(values: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",  # an identifier only: nothing is fetched
        "data": {"values": values},
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
        **{"width": WIDTH, "height": 220, **spec},
    }


def _days_between(first: str, last: str) -> int:
    import datetime as dt

    return (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days


def _day(value: Any) -> str:
    return value.date().isoformat() if hasattr(value, "date") else str(value)[:10]


def daily_listening(rows: list[dict[str, Any]]) -> Chart:
    values = [
        {"day": _day(row["metric_time__day"]), "series": name, "value": row[column], "plays": row["plays"],
         "change": row["plays_day_over_day"]}
        for row in rows
        for name, column in (("Listeners", "listeners"), ("Weekly active listeners", "weekly_active_listeners"))
    ]  # fmt: skip
    plays = [{"day": _day(row["metric_time__day"]), "plays": row["plays"], "change": row["plays_day_over_day"]}
             for row in rows]  # fmt: skip
    day = {"field": "day", "type": "temporal", "title": "Day (UTC)", "timeUnit": "utcyearmonthdate"}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
        "vconcat": [
            _chart_part(plays, "bar", {
                "x": day, "y": {"field": "plays", "type": "quantitative", "title": "Plays"},
                "tooltip": [{**day, "title": "Day"}, {"field": "plays", "title": "Plays"},
                            {"field": "change", "title": "Change on the day before"}],
            }),
            _chart_part(values, "line", {
                "x": day, "y": {"field": "value", "type": "quantitative", "title": "Listeners"},
                "color": {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
                "tooltip": [{**day, "title": "Day"}, {"field": "series"}, {"field": "value", "title": "Listeners"}],
            }),
        ],
    }  # fmt: skip
    return Chart("daily_listening", spec=spec, rows=rows)


def _chart_part(values: list[dict[str, Any]], mark: str, encoding: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"values": values}, "width": WIDTH, "height": 160, "mark": {"type": mark, "tooltip": True},
            "encoding": encoding}  # fmt: skip


def plays_by_level(rows: list[dict[str, Any]]) -> Chart:
    values = [{"day": _day(r["metric_time__day"]), "level": r["songplay__level"], "plays": r["plays"],
               "listeners": r["listeners"]} for r in rows]  # fmt: skip
    spec = _base(values, mark="bar", encoding={
        "x": {"field": "day", "type": "temporal", "title": "Day (UTC)", "timeUnit": "utcyearmonthdate"},
        "y": {"field": "plays", "type": "quantitative", "title": "Plays", "stack": True},
        "color": {"field": "level", "type": "nominal", "title": "Level at the play", "legend": {"orient": "bottom"},
                  "scale": {"domain": ["free", "paid"], "range": ["#9ca3af", "#2563eb"]}},
        "tooltip": [{"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": "Day"},
                    {"field": "level"}, {"field": "plays"}, {"field": "listeners"}],
    })  # fmt: skip
    return Chart("plays_by_level", spec=spec, rows=rows)


def plays_by_hour_of_day(rows: list[dict[str, Any]]) -> Chart:
    values = [{"hour": r["songplay__hour_of_day"], "plays": r["plays"], "listeners": r["listeners"]} for r in rows]
    spec = _base(values, mark="bar", encoding={
        "x": {"field": "hour", "type": "ordinal", "title": "Hour of day (UTC)", "scale": {"domain": list(range(24))}},
        "y": {"field": "plays", "type": "quantitative", "title": "Plays"},
        "tooltip": [{"field": "hour", "title": "Hour"}, {"field": "plays"}, {"field": "listeners"}],
    })  # fmt: skip
    return Chart("plays_by_hour_of_day", spec=spec, rows=rows)


def plays_by_weekday(rows: list[dict[str, Any]]) -> Chart:
    values = [{"weekday": WEEKDAYS[r["songplay__weekday"]], "plays": r["plays"], "listeners": r["listeners"]}
              for r in rows]  # fmt: skip
    spec = _base(values, mark="bar", encoding={
        "x": {"field": "weekday", "type": "ordinal", "title": "Weekday (UTC)", "sort": WEEKDAYS},
        "y": {"field": "plays", "type": "quantitative", "title": "Plays"},
        "tooltip": [{"field": "weekday"}, {"field": "plays"}, {"field": "listeners"}],
    })  # fmt: skip
    return Chart("plays_by_weekday", spec=spec, rows=rows)


def _ranked(saved_query: str, rows: list[dict[str, Any]], label: str, what: str, coverage: str) -> Chart:
    if len(rows) < MIN_RANKED:
        found = "; ".join(f"{row['label']}: {_plural(row['plays'], 'play')}" for row in rows)
        matched = _plural(len(rows), what.removesuffix("s"))
        statement = (
            f"Not enough catalogue matches to rank {what}: {matched} matched ({found or 'none'}). "
            f"{coverage} A ranking needs at least {MIN_RANKED}."
        )
        return Chart(saved_query, statement=statement, rows=rows)
    spec = _base(rows, mark="bar", height=24 * len(rows), width=RANKED_WIDTH, encoding={
        "y": {"field": "label", "type": "nominal", "title": None, "sort": "-x"},
        "x": {"field": "plays", "type": "quantitative", "title": "Plays"},
        "tooltip": [{"field": "label", "title": label}, {"field": "plays"}],
    })  # fmt: skip
    return Chart(saved_query, spec=spec, rows=rows)


def top_songs(rows: list[dict[str, Any]], coverage: str) -> Chart:
    ranked = [{"label": f"{r['song__title']} ({r['artist__name']})", "plays": r["plays"]} for r in rows]
    return _ranked("top_songs", ranked, "Song", "songs", coverage)


def top_artists(rows: list[dict[str, Any]], coverage: str) -> Chart:
    ranked = [{"label": r["artist__name"], "plays": r["plays"]} for r in rows]
    return _ranked("top_artists", ranked, "Artist", "artists", coverage)


def top_listeners(rows: list[dict[str, Any]]) -> Chart:
    values = [
        {"label": f"{r['listener__first_name']} {r['listener__last_name']} (user {r['listener']}, "
                  f"{r['listener__level']})", "plays": r["plays"], "sessions": r["sessions"]}
        for r in rows
    ]  # fmt: skip
    spec = _base(values, mark="bar", height=24 * max(len(values), 1), width=RANKED_WIDTH, encoding={
        "y": {"field": "label", "type": "nominal", "title": None, "sort": "-x"},
        "x": {"field": "plays", "type": "quantitative", "title": "Plays"},
        "tooltip": [{"field": "label", "title": "Listener"}, {"field": "plays"}, {"field": "sessions"}],
    })  # fmt: skip
    return Chart("top_listeners", spec=spec, rows=rows)


def conversion_by_week(rows: list[dict[str, Any]], last_play: Any) -> Chart:
    """Weeks whose free plays have not all had 30 days to convert by the latest play are drawn lighter."""
    last_day = _day(last_play)
    values = [
        {"week": _day(r["metric_time__week"]), "conversion": r["free_to_paid_conversion_30d"] or 0.0,
         "listeners": r["listeners"],
         "follow_up": "30 days" if _days_between(_day(r["metric_time__week"]), last_day) >= 37 else "not yet 30 days"}
        for r in rows
    ]  # fmt: skip
    spec = _base(values, mark="bar", encoding={
        "x": {"field": "week", "type": "ordinal", "title": "Week of the free play (starts Monday, UTC)"},
        "y": {"field": "conversion", "type": "quantitative", "title": "Converted within 30 days",
              "axis": {"format": ".0%"}},
        "opacity": {"field": "follow_up", "type": "ordinal", "title": "Follow-up by the latest play",
                    "scale": {"domain": ["30 days", "not yet 30 days"], "range": [1, 0.35]},
                    "legend": {"orient": "bottom"}},
        "tooltip": [{"field": "week"}, {"field": "conversion", "format": ".1%", "title": "Conversion"},
                    {"field": "listeners", "title": "Listeners that week"},
                    {"field": "follow_up", "title": "Follow-up"}],
    })  # fmt: skip
    return Chart("conversion_by_week", spec=spec, rows=rows)


def catalogue_coverage(rows: list[dict[str, Any]]) -> Chart:
    total = sum(r["plays"] for r in rows) or 1
    values = [{"match": r["songplay__catalogue_match"], "plays": r["plays"], "share": r["plays"] / total}
              for r in rows]  # fmt: skip
    encoding = {
        "y": {"field": "match", "type": "nominal", "title": None, "sort": ["matched", "not matched"]},
        "x": {"field": "plays", "type": "quantitative", "title": "Plays"},
        "tooltip": [{"field": "match"}, {"field": "plays"}, {"field": "share", "format": ".2%"}],
    }
    spec = _base(values, height=80, encoding=encoding, layer=[
        {"mark": "bar", "encoding": {"color": {
            "field": "match", "type": "nominal", "legend": None,
            "scale": {"domain": ["matched", "not matched"], "range": ["#2563eb", "#9ca3af"]}}}},
        {"mark": {"type": "text", "align": "left", "dx": 4},
         "encoding": {"text": {"field": "label"}}},
    ], transform=[{"calculate": "format(datum.plays, ',') + ' (' + format(datum.share, '.2%') + ')'",
                   "as": "label"}])  # fmt: skip
    return Chart("catalogue_coverage", spec=spec, rows=rows)
