"""The saved queries' expected rows, computed in Python from the reference star schema (reference.py), never
by SQL: what each metric means, written a second time, as the YAML's descriptions say it.

Conversion follows MetricFlow's documented definition at the plays' hour grain: a free play at hour f converts
when the same user has a paid play at an hour p with f <= p < f + 30 days; per period, the conversion counts
for the period of the latest such free play.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from reference import Star

WINDOW = timedelta(days=30)


def _plays(star: Star) -> list[dict]:
    return [
        {"start": start, "user": user, "level": level, "song": song, "artist": artist, "session": session}
        for start, user, level, song, artist, session, *_ in star.songplays.values()
    ]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _week(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _conversions(plays: list[dict]) -> dict[int, set[date]]:
    """Per user, the weeks of the free plays their paid plays convert (the latest qualifying free play's)."""
    free, paid = defaultdict(list), defaultdict(list)
    for play in plays:
        if play["user"] is not None:
            if play["level"] == "free":
                free[play["user"]].append(_hour(play["start"]))
            elif play["level"] == "paid":
                paid[play["user"]].append(_hour(play["start"]))
    weeks: dict[int, set[date]] = defaultdict(set)
    for user, paid_hours in paid.items():
        for hour in paid_hours:
            qualifying = [f for f in free.get(user, []) if f <= hour < f + WINDOW]
            if qualifying:
                weeks[user].add(_week(max(qualifying)))
    return weeks


def _conversion_rate(plays: list[dict]) -> float | None:
    free_users = {p["user"] for p in plays if p["level"] == "free" and p["user"] is not None}
    return _ratio(len(_conversions(plays)), len(free_users))


def headline_figures(star: Star) -> list[dict]:
    plays = _plays(star)
    count = len(plays)
    listeners = len({p["user"] for p in plays if p["user"] is not None})
    sessions = len({p["session"] for p in plays})
    return [{
        "plays": count,
        "listeners": listeners,
        "sessions": sessions,
        "paid_play_share": _ratio(sum(p["level"] == "paid" for p in plays), count),
        "plays_per_session": _ratio(count, sessions),
        "plays_per_listener": _ratio(count, listeners),
        "catalogue_match_rate": _ratio(sum(p["song"] is not None for p in plays), count),
        "free_to_paid_conversion_30d": _conversion_rate(plays),
    }]  # fmt: skip


def daily_listening(star: Star) -> list[dict]:
    """Every day from the first play's to the latest play's (the report bounds the query so)."""
    plays = _plays(star)
    by_day = Counter(p["start"].date() for p in plays)
    users_by_day: dict[date, set] = defaultdict(set)
    for p in plays:
        if p["user"] is not None:
            users_by_day[p["start"].date()].add(p["user"])
    first, last = min(by_day), max(by_day)
    rows = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        week = set().union(*(users_by_day.get(day - timedelta(days=back), set()) for back in range(7)))
        previous = day - timedelta(days=1)
        rows.append({
            "metric_time__day": day,
            "plays": by_day.get(day),
            "listeners": len(users_by_day[day]) if day in by_day else None,
            "weekly_active_listeners": len(week) or None,
            "plays_day_over_day": by_day[day] - by_day[previous] if day in by_day and previous in by_day else None,
        })  # fmt: skip
    return rows


def _grouped(plays: list[dict], key) -> list[dict]:
    groups: dict = defaultdict(list)
    for p in plays:
        groups[key(p)].append(p)
    return [(group, members) for group, members in sorted(groups.items(), key=lambda item: repr(item[0]))]


def plays_by_level(star: Star) -> list[dict]:
    return [
        {"metric_time__day": day, "songplay__level": level, "plays": len(members),
         "listeners": len({m["user"] for m in members if m["user"] is not None})}
        for (day, level), members in _grouped(_plays(star), lambda p: (p["start"].date(), p["level"]))
    ]  # fmt: skip


def plays_by_hour_of_day(star: Star) -> list[dict]:
    return [
        {"songplay__hour_of_day": hour, "plays": len(members),
         "listeners": len({m["user"] for m in members if m["user"] is not None})}
        for hour, members in _grouped(_plays(star), lambda p: p["start"].hour)
    ]  # fmt: skip


def plays_by_weekday(star: Star) -> list[dict]:
    return [
        {"songplay__weekday": weekday, "plays": len(members),
         "listeners": len({m["user"] for m in members if m["user"] is not None})}
        for weekday, members in _grouped(_plays(star), lambda p: p["start"].isoweekday() % 7)
    ]  # fmt: skip


def _top(rows: list[dict], key: str, limit: int = 10) -> list[dict]:
    return sorted(rows, key=lambda row: (-row["plays"], row[key]))[:limit]


def top_songs(star: Star) -> list[dict]:
    counts = Counter(p["song"] for p in _plays(star) if p["song"] is not None)
    rows = [
        {"song": song, "song__title": star.songs[song][0], "artist__name": star.artists[star.songs[song][1]][0],
         "plays": plays}
        for song, plays in counts.items()
    ]  # fmt: skip
    return _top(rows, "song")


def top_artists(star: Star) -> list[dict]:
    counts = Counter(p["artist"] for p in _plays(star) if p["artist"] is not None)
    rows = [{"artist": artist, "artist__name": star.artists[artist][0], "plays": n} for artist, n in counts.items()]
    return _top(rows, "artist")


def top_listeners(star: Star) -> list[dict]:
    plays = [p for p in _plays(star) if p["user"] is not None]
    rows = [
        {"listener": user, "listener__first_name": star.users[user][0], "listener__last_name": star.users[user][1],
         "listener__level": star.users[user][3], "plays": len(members),
         "sessions": len({m["session"] for m in members})}
        for user, members in _grouped(plays, lambda p: p["user"])
    ]  # fmt: skip
    return _top(rows, "listener")


def conversion_by_week(star: Star) -> list[dict]:
    plays = _plays(star)
    conversions = _conversions(plays)
    free_by_week: dict[date, set] = defaultdict(set)
    for p in plays:
        if p["level"] == "free" and p["user"] is not None:
            free_by_week[_week(p["start"])].add(p["user"])
    converted_by_week: dict[date, set] = defaultdict(set)
    for user, weeks in conversions.items():
        for week in weeks:
            converted_by_week[week].add(user)
    return [
        {"metric_time__week": week,
         "free_to_paid_conversion_30d": _ratio(len(converted_by_week[week]), len(free_by_week[week])),
         "listeners": len({m["user"] for m in members if m["user"] is not None})}
        for week, members in _grouped(plays, lambda p: _week(p["start"]))
    ]  # fmt: skip


def catalogue_coverage(star: Star) -> list[dict]:
    return [
        {"songplay__catalogue_match": match, "plays": len(members)}
        for match, members in _grouped(_plays(star), lambda p: "matched" if p["song"] is not None else "not matched")
    ]


SAVED_QUERIES = {
    "headline_figures": headline_figures,
    "daily_listening": daily_listening,
    "plays_by_level": plays_by_level,
    "plays_by_hour_of_day": plays_by_hour_of_day,
    "plays_by_weekday": plays_by_weekday,
    "top_songs": top_songs,
    "top_artists": top_artists,
    "top_listeners": top_listeners,
    "conversion_by_week": conversion_by_week,
    "catalogue_coverage": catalogue_coverage,
}
