"""The bad-input corpus: named cases of raw JSON and the outcome each must have, engine-neutral.

A case is a small data root in the S3 layout (BASE_FILES, with the case's files added, replaced or
removed: good lines around the bad one), optional vars, and what one `dbt build` on it must give:

- the exit code, and a text the output must contain (MAXERROR);
- every row of the landing tables, with exact values (`events`, `songs`);
- every row of load_errors: file, line, column, code, reason, raw value (and raw line when given);
- which data tests warn or fail (labels of TEST_LABELS); every other test passes;
- queries on the models with their exact result (one copy of a duplicate, a play without user);
- with `before`: the files of a first build that must succeed; `unchanged`: a failed load must
  leave the landing tables and load_errors exactly as that first build left them.

tests/pytest/test_bad_input.py runs every case on DuckDB; the Redshift harness runs the same cases.
`engine_difference` marks the one case where the DuckDB loader knowingly differs from Redshift.
docs/bad-input.md is the table of these cases. Rejection codes and reasons are the contract of
macros/copy_json/sparkify_load_error_contract.sql, spelled out here independently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

DAY_MS = 86_400_000
DAY_START = 1_542_240_000_000  # 2018-11-15T00:00:00Z
T0 = DAY_START + 14 * 3_600_000 + 10 * 60_000  # 2018-11-15T14:10:00Z
NEXT_DAY_TS = DAY_START + DAY_MS + 5 * 60_000  # 2018-11-16T00:05:00Z
EVENTS_KEY = "log_data/2018/11/2018-11-15-events.json"
SONG_KEYS = ("song_data/A/A/A/TRAAAAA128F0000001.json", "song_data/A/A/B/TRAAABB128F0000002.json")
NEW_SONG_KEY = "song_data/A/A/C/TRAAACC128F0000003.json"
WINDOW = {"data_interval_start": "2018-11-15T14:00:00+00:00", "data_interval_end": "2018-11-15T15:00:00+00:00"}

# JSON key -> landing column, in the order of the landing tables (and of the JSONPaths file).
EVENT_COLUMNS = {
    "artist": "artist",
    "auth": "auth",
    "firstName": "first_name",
    "gender": "gender",
    "itemInSession": "item_in_session",
    "lastName": "last_name",
    "length": "length",
    "level": "level",
    "location": "location",
    "method": "method",
    "page": "page",
    "registration": "registration",
    "sessionId": "session_id",
    "song": "song",
    "status": "status",
    "ts": "ts",
    "userAgent": "user_agent",
    "userId": "user_id",
}
SONG_COLUMNS = [
    "num_songs",
    "artist_id",
    "artist_latitude",
    "artist_longitude",
    "artist_location",
    "artist_name",
    "song_id",
    "title",
    "duration",
    "year",
]

# Reasons, as the contract words them.
MALFORMED = "Malformed JSON: the line is not one valid JSON object"
NOT_AN_OBJECT = "Malformed JSON: the line is valid JSON but not an object"
BYTE_ORDER_MARK = "Malformed JSON: the line starts with a UTF-8 byte order mark (EF BB BF)"
BAD_UTF8 = "String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: {}"
TS_MISSING = "ts is missing or null: the row belongs to no UTC day partition"

# Data tests a case may expect to warn or fail, by label: a regex on the test's node name.
TEST_LABELS = {
    "rejected_lines": r"^rejected_lines$",
    "rejected_lines_of_this_run": r"^rejected_lines_of_this_run$",
    "duplicate_events": r"^duplicate_landing_rows_stg_sparkify__events_",
    "unkeyed_events": r"^unkeyed_landing_rows_stg_sparkify__events_",
    "truncated_events": r"^possibly_truncated_stg_sparkify__events_",
    "duplicate_songs": r"^duplicate_landing_rows_stg_sparkify__songs_",
    "unkeyed_songs": r"^unkeyed_landing_rows_stg_sparkify__songs_",
    "truncated_songs": r"^possibly_truncated_stg_sparkify__songs_",
    "plays_without_user": r"^sql_returns_stg_sparkify__events_.*NextSong_and_user_id_is_null",
    "plays_without_positive_length": r"^sql_returns_stg_sparkify__events_.*NextSong_and_song_length_0",
    "fct_user_id_not_null": r"^not_null_fct_songplays_user_id$",
}


def event(session: int, item: int, ts: int, page: str = "NextSong", **changes) -> dict:
    """A well-formed event in the feed's shape (18 keys, in the feed's order)."""
    play = page == "NextSong"
    base = {
        "artist": "Coldplay" if play else None,
        "auth": "Logged In",
        "firstName": "Lily",
        "gender": "F",
        "itemInSession": item,
        "lastName": "Koch",
        "length": 266.26567 if play else None,
        "level": "paid",
        "location": "Chicago-Naperville-Elgin, IL-IN-WI",
        "method": "PUT" if play else "GET",
        "page": page,
        "registration": 1541048010796.0,
        "sessionId": session,
        "song": "Yellow" if play else None,
        "status": 200,
        "ts": ts,
        "userAgent": '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"',
        "userId": "15",
    }
    base.update(changes)
    return base


def line(record: dict, ascii_only: bool = True) -> bytes:
    """One JSON line as the feed writes it: compact, non-ASCII as \\u escapes (unless told)."""
    return json.dumps(record, ensure_ascii=ascii_only, separators=(",", ":")).encode()


def without(record: dict, key: str) -> dict:
    return {k: v for k, v in record.items() if k != key}


def lines(*records: bytes | dict, end: bytes = b"\n") -> bytes:
    return b"".join((r if isinstance(r, bytes) else line(r)) + end for r in records)


def blank_as_null(value):
    return None if isinstance(value, str) and value.strip() == "" else value


def landing_event(record: dict, **overrides) -> dict:
    """The landing row of a well-formed event: keys to columns, blanks as null; overrides spelled out."""
    row = {column: blank_as_null(record.get(key)) for key, column in EVENT_COLUMNS.items()}
    row.update(overrides)
    return row


def landing_song(song: dict, **overrides) -> dict:
    row = {column: blank_as_null(song.get(column)) for column in SONG_COLUMNS}
    row.update(overrides)
    return row


def song(song_id: str, title: str, artist_id: str = "ARJIE2Y1187B994AB7", **changes) -> dict:
    record = {
        "num_songs": 1,
        "artist_id": artist_id,
        "artist_latitude": None,
        "artist_longitude": None,
        "artist_location": "",
        "artist_name": "Line Renaud",
        "song_id": song_id,
        "title": title,
        "duration": 152.92036,
        "year": 0,
    }
    record.update(changes)
    return record


def song_file(record: dict) -> bytes:
    """A song file as in song_data/: one object, ", "/": " separators, no final newline."""
    return json.dumps(record, ensure_ascii=True, separators=(", ", ": ")).encode()


def songplay_id(session: int, item: int) -> str:
    return hashlib.md5(f"{session}-{item}".encode()).hexdigest()


JSONPATHS = json.dumps({"jsonpaths": [f"$['{key}']" for key in EVENT_COLUMNS]}, indent=4).encode()
E1 = event(700, 0, T0)
E2 = event(700, 1, T0 + 60_000, page="Home")
E3 = event(700, 2, T0 + 120_000, song="Clocks", length=307.51302)
GOOD = [E1, E2, E3]
S1 = song("SOUPIRU12A6D4FA1E1", "Der Kleine Dompfaff")
S2 = song("SOGVQGJ12AB017F169", "Ten Tonne", "AR62SOJ1187FB47BB5", artist_name="Chase & Status", year=2005)
BASE_FILES: dict[str, bytes] = {
    "log_json_path.json": JSONPATHS,
    EVENTS_KEY: lines(*GOOD),
    SONG_KEYS[0]: song_file(S1),
    SONG_KEYS[1]: song_file(S2),
}
GOOD_EVENTS = [landing_event(e) for e in GOOD]
GOOD_SONGS = [landing_song(s) for s in (S1, S2)]


@dataclass(frozen=True)
class Rejection:
    key: str  # load_errors.filename is data_root + "/" + key
    line: int | None
    colname: str | None
    code: int
    reason: str
    raw_field_value: str | None = None
    raw_line: str | None = None  # checked when given


@dataclass(frozen=True)
class Case:
    name: str
    behaviour: str  # the wording of the table in docs/bad-input.md
    files: dict[str, bytes | None]  # added or replaced files; None removes a base file
    events: list[dict] = field(default_factory=lambda: list(GOOD_EVENTS))
    songs: list[dict] = field(default_factory=lambda: list(GOOD_SONGS))
    rejections: tuple[Rejection, ...] = ()
    warns: frozenset[str] = frozenset()  # besides rejected_lines, which warns whenever there are rejections
    fails: frozenset[str] = frozenset()
    queries: tuple[tuple[str, list[tuple]], ...] = ()
    vars: dict = field(default_factory=dict)
    exit_code: int = 0
    message: str | None = None  # in the dbt output; {root} is the data root
    before: dict[str, bytes | None] | None = None
    unchanged: bool = False
    engine_difference: str | None = None
    on_redshift: dict = field(default_factory=dict)  # fields that differ on the Redshift harness

    @property
    def expected_warns(self) -> set[str]:
        extra = {"rejected_lines"} if self.rejections and "rejected_lines" not in self.fails else set()
        return set(self.warns) | extra

    @property
    def plays(self) -> set[str]:
        """songplay_ids fct_songplays must hold: every NextSong event the landing table keeps, once."""
        return {
            songplay_id(e["session_id"], e["item_in_session"])
            for e in self.events
            if e["page"] == "NextSong" and e["session_id"] is not None and e["item_in_session"] is not None
        }


def events_file(*middle: bytes | dict) -> dict[str, bytes]:
    """The day file with E1 first and E2, E3 after the given lines: good lines around the bad ones."""
    return {EVENTS_KEY: lines(E1, *middle, E2, E3)}


E4 = event(700, 3, T0 + 180_000, song="Fix You", length=295.13098)
TRUNCATED = line(E4)[:60]
PRETTY_EVENT = json.dumps(E4, indent=2).encode()
TRAILING_TEXT = line(E4) + b" trailing"
PRETTY_SONG = song("SOPRETTY12AB0000001", "Pretty Printed", year=1999)
BAD_YEAR_SONG = song("SOBADYEAR2AB0000001", "Bad Year", year="19x9")
DUPLICATE_SONG = song("SODUPLICATE12AB0001", "Zebra Crossing")
NON_ASCII_EVENT = event(
    700, 3, T0 + 180_000, artist="Sigur Rós", song="Hoppípolla 🎵", firstName="Zoë", lastName="Kovačić"
)
NON_ASCII_SONG = song("SONONASCII12AB00001", "Kickstart My Heart ♥", "ARNONASCII1187B0001", artist_name="Mötley Crüe")


def _rejected(record_line: bytes, line_no: int, reason: str = MALFORMED, key: str = EVENTS_KEY) -> Rejection:
    return Rejection(key, line_no, None, 1224, reason, raw_line=record_line.decode())


CASES: list[Case] = [
    # --- lines that are rejected: counted with file, line and reason; the lines around them load
    Case(
        "truncated_json_line",
        "rejected 1224 (malformed JSON), line and raw text in load_errors; the lines around it load",
        events_file(TRUNCATED),
        rejections=(_rejected(TRUNCATED, 2),),
    ),
    Case(
        "garbage_bytes",
        "bytes that are not UTF-8: rejected 1220 naming the first bad byte; raw_line shows them as periods",
        events_file(b"\x00\xff\xfe\x9c\x00binary\xc0"),
        rejections=(Rejection(EVENTS_KEY, 2, None, 1220, BAD_UTF8.format("ff"), raw_line=".....binary."),),
    ),
    Case(
        "invalid_utf8_inside_a_string",
        "a string with a cut multibyte character (C3 alone): rejected 1220",
        events_file(line(E4).replace(b"Fix You", b"Fix Caf\xc3")),
        rejections=(
            Rejection(
                EVENTS_KEY,
                2,
                None,
                1220,
                BAD_UTF8.format("c3"),
                raw_line=line(E4).decode().replace("Fix You", "Fix Caf."),
            ),
        ),
    ),
    Case(
        "utf8_bom_at_file_start",
        "a byte order mark before line 1: line 1 rejected 1224 (its own reason), the rest loads",
        {EVENTS_KEY: b"\xef\xbb\xbf" + lines(*GOOD)},
        events=[landing_event(E2), landing_event(E3)],
        rejections=(Rejection(EVENTS_KEY, 1, None, 1224, BYTE_ORDER_MARK, raw_line="." + line(E1).decode()),),
    ),
    Case(
        "json_array_line",
        "a line holding an array (valid JSON, not an object): rejected 1224",
        events_file(b"[1, 2, 3]"),
        rejections=(_rejected(b"[1, 2, 3]", 2, NOT_AN_OBJECT),),
    ),
    Case(
        "form_feed_line",
        "a line holding only a form feed (not JSON white space): rejected 1224",
        events_file(b"\x0c"),
        rejections=(_rejected(b"\x0c", 2),),
    ),
    Case(
        "vertical_tab_line",
        "a line holding only a vertical tab: rejected 1224",
        events_file(b"\x0b"),
        rejections=(_rejected(b"\x0b", 2),),
    ),
    Case(
        "trailing_text_after_object",
        "text after the object on its line: the line is rejected 1224",
        events_file(TRAILING_TEXT),
        rejections=(_rejected(TRAILING_TEXT, 2),),
        engine_difference="The Redshift harness reads the object, loads it, then rejects the text after it.",
        on_redshift={"events": [*GOOD_EVENTS, landing_event(E4)]},
    ),
    Case(
        "ts_not_a_number",
        'ts "abc" (bigint column): rejected 1207 invalid digit, column ts, raw value abc',
        events_file(event(700, 3, "abc")),
        rejections=(Rejection(EVENTS_KEY, 2, "ts", 1207, "Invalid digit, Value 'a', Pos 0, Type: Long", "abc"),),
    ),
    Case(
        "item_in_session_decimal",
        "itemInSession 1.5 (integer column): rejected 1207 at the decimal point",
        events_file(event(700, 1.5, T0)),
        rejections=(
            Rejection(EVENTS_KEY, 2, "item_in_session", 1207, "Invalid digit, Value '.', Pos 1, Type: Integer", "1.5"),
        ),
    ),
    Case(
        "session_id_overflow",
        "sessionId 2147483648 (integer column): rejected 1222 overflow",
        events_file(event(2147483648, 0, T0)),
        rejections=(
            Rejection(EVENTS_KEY, 2, "session_id", 1222, "Overflow, Value '2147483648', Type: Integer", "2147483648"),
        ),
    ),
    Case(
        "status_boolean",
        "status true (integer column): rejected 1207",
        events_file(event(700, 3, T0, status=True)),
        rejections=(
            Rejection(EVENTS_KEY, 2, "status", 1207, "Invalid digit, Value 't', Pos 0, Type: Integer", "true"),
        ),
    ),
    Case(
        "item_in_session_exponent",
        "itemInSession 1e3 (integer column): rejected 1207; DuckDB shows the number as its parser reprints it (1000.0)",
        events_file(line(E4).replace(b'"itemInSession":3', b'"itemInSession":1e3')),
        rejections=(
            Rejection(
                EVENTS_KEY, 2, "item_in_session", 1207, "Invalid digit, Value '.', Pos 4, Type: Integer", "1000.0"
            ),
        ),
        engine_difference="The Redshift harness keeps the number's text: Value 'e', Pos 1, raw value 1e3.",
        on_redshift={
            "rejections": (
                Rejection(
                    EVENTS_KEY, 2, "item_in_session", 1207, "Invalid digit, Value 'e', Pos 1, Type: Integer", "1e3"
                ),
            )
        },
    ),
    Case(
        "length_not_a_number",
        'length "4:05" (double column): rejected 1208 float format',
        events_file(event(700, 3, T0, length="4:05")),
        rejections=(
            Rejection(EVENTS_KEY, 2, "length", 1208, "Invalid float format, Value '4:05', Type: Double", "4:05"),
        ),
    ),
    Case(
        "ts_missing",
        "no ts key: the row has no day partition, rejected 9102 after COPY (file = the loaded prefix, no line)",
        events_file(without(E4, "ts")),
        rejections=(Rejection("log_data/", None, "ts", 9102, TS_MISSING),),
    ),
    Case(
        "ts_outside_file_day_in_window_mode",
        "window run: a row of day file D whose ts is on another day is rejected 9101 (no line number)",
        events_file(event(700, 3, NEXT_DAY_TS)),
        vars=WINDOW,
        rejections=(
            Rejection(
                EVENTS_KEY,
                None,
                "ts",
                9101,
                f"ts {NEXT_DAY_TS} is outside the UTC day 2018-11-15 of its file: not loaded (window mode)",
                str(NEXT_DAY_TS),
            ),
        ),
    ),
    Case(
        "pretty_printed_event_among_lines",
        "an object spread over several lines inside a line-per-event file: every one of its lines is "
        "rejected 1224 (counted, never silent)",
        events_file(PRETTY_EVENT),
        rejections=tuple(_rejected(text, 2 + i) for i, text in enumerate(PRETTY_EVENT.splitlines())),
        engine_difference="Redshift parses the object across lines and loads it as one record.",
        on_redshift={"events": [*GOOD_EVENTS, landing_event(E4)], "rejections": ()},
    ),
    Case(
        "year_not_a_number",
        'song file with year "unknown": rejected 1207, column year; the other songs load',
        {NEW_SONG_KEY: song_file(song("SOBADYEAR1AB0000001", "Unknown Year", year="unknown"))},
        rejections=(
            Rejection(NEW_SONG_KEY, 1, "year", 1207, "Invalid digit, Value 'u', Pos 0, Type: Integer", "unknown"),
        ),
    ),
    Case(
        "pretty_printed_song_with_bad_year",
        "a pretty-printed song file whose year does not convert: rejected once, numbered by its last line",
        {NEW_SONG_KEY: json.dumps(BAD_YEAR_SONG, indent=2).encode()},
        rejections=(
            Rejection(
                NEW_SONG_KEY,
                len(json.dumps(BAD_YEAR_SONG, indent=2).splitlines()),
                "year",
                1207,
                "Invalid digit, Value 'x', Pos 2, Type: Integer",
                "19x9",
            ),
        ),
    ),
    # --- input that loads
    Case(
        "crlf_line_ends",
        "CRLF line ends: CR is white space, every line loads",
        {EVENTS_KEY: lines(*GOOD, end=b"\r\n")},
    ),
    Case(
        "blank_lines_and_no_final_newline",
        "blank and white-space lines are skipped (line numbers still count them); no final newline is fine",
        {EVENTS_KEY: b"\n" + line(E1) + b"\n\n   \n\t\r\n" + line(E2) + b"\n" + line(E3)},
    ),
    Case(
        "empty_file",
        "an empty day file loads zero rows without error; the other files load",
        {"log_data/2018/11/2018-11-16-events.json": b""},
    ),
    Case(
        "missing_key",
        "a key missing from an object: that column is null",
        events_file(without(E4, "location")),
        events=[*GOOD_EVENTS, landing_event(E4, location=None)],
    ),
    Case(
        "unexpected_extra_key",
        "an unknown key is ignored",
        events_file({**E4, "favouriteColour": "blue"}),
        events=[*GOOD_EVENTS, landing_event(E4)],
    ),
    Case(
        "ts_as_string",
        'ts as a string of digits ("1542291180000") loads into the bigint column',
        events_file({**E4, "ts": str(E4["ts"])}),
        events=[*GOOD_EVENTS, landing_event(E4)],
    ),
    Case(
        "object_into_varchar",
        "an object where text is expected (location): loads as its JSON text",
        events_file({**E4, "location": {"city": "Tulsa", "state": "OK"}}),
        events=[*GOOD_EVENTS, landing_event(E4, location='{"city":"Tulsa","state":"OK"}')],
    ),
    Case(
        "number_with_exponent_into_text",
        "location 1e300 (a number into a text column): loads as the number's text, 1e300",
        events_file(line({**E4, "location": 0}).replace(b'"location":0', b'"location":1e300')),
        events=[*GOOD_EVENTS, landing_event(E4, location="1e300")],
    ),
    Case(
        "line_over_32_mib",
        "a 33 MiB line (an unknown key holding 33 MiB of text; DuckDB's JSON reader stops at twice its 16 MiB "
        "maximum_object_size): the event loads; Redshift itself limits a JSON object to 4 MB, which the harness "
        "does not emulate",
        events_file({**E4, "padding": "x" * 33 * 2**20}),
        events=[*GOOD_EVENTS, landing_event(E4)],
    ),
    Case(
        "length_negative",
        "a negative song length loads as sent; a warn-level test counts such plays",
        events_file({**E4, "length": -12.5}),
        events=[*GOOD_EVENTS, landing_event(E4, length=-12.5)],
        warns=frozenset({"plays_without_positive_length"}),
    ),
    Case(
        "user_id_empty_on_next_song",
        'userId "" on a NextSong: loads as null; the play stays in fct_songplays with a null user (warns)',
        events_file({**E4, "userId": ""}),
        events=[*GOOD_EVENTS, landing_event(E4, user_id=None)],
        warns=frozenset({"plays_without_user", "fct_user_id_not_null"}),
        queries=((f"select user_id from fct_songplays where songplay_id = '{songplay_id(700, 3)}'", [(None,)]),),
    ),
    Case(
        "user_id_null_on_next_song",
        "userId null on a NextSong: same as empty",
        events_file({**E4, "userId": None}),
        events=[*GOOD_EVENTS, landing_event(E4, user_id=None)],
        warns=frozenset({"plays_without_user", "fct_user_id_not_null"}),
        queries=((f"select user_id from fct_songplays where songplay_id = '{songplay_id(700, 3)}'", [(None,)]),),
    ),
    Case(
        "session_id_missing",
        "no sessionId: loads with a null session_id; staging cannot key it and leaves it out (warns)",
        events_file(without(E4, "sessionId")),
        events=[*GOOD_EVENTS, landing_event(without(E4, "sessionId"))],
        warns=frozenset({"unkeyed_events"}),
        queries=(("select count(*) from stg_sparkify__events", [(3,)]),),
    ),
    Case(
        "multibyte_string_too_long",
        "300 x 'é' (600 bytes) into varchar(512): truncated to 256 characters = 512 bytes (warns)",
        events_file({**E4, "artist": "é" * 300}),
        events=[*GOOD_EVENTS, landing_event(E4, artist="é" * 256)],
        warns=frozenset({"truncated_events"}),
    ),
    Case(
        "multibyte_cut_at_character_boundary",
        "'a' + 200 x '€' (601 bytes) into varchar(512): cut before the character that would cross 512 "
        "bytes, 511 bytes (warns)",
        events_file({**E4, "song": "a" + "€" * 200}),
        events=[*GOOD_EVENTS, landing_event(E4, song="a" + "€" * 170)],
        warns=frozenset({"truncated_events"}),
    ),
    Case(
        "non_ascii_names",
        "non-ASCII names, as \\u escapes (surrogate pairs too) or raw UTF-8: round-trip exactly",
        {
            EVENTS_KEY: lines(E1, line(NON_ASCII_EVENT), line({**NON_ASCII_EVENT, "itemInSession": 4}, False), E2, E3),
            NEW_SONG_KEY: song_file(NON_ASCII_SONG),
        },
        events=[*GOOD_EVENTS, landing_event(NON_ASCII_EVENT), landing_event({**NON_ASCII_EVENT, "itemInSession": 4})],
        songs=[*GOOD_SONGS, landing_song(NON_ASCII_SONG)],
        queries=(
            ("select name from dim_artists where artist_id = 'ARNONASCII1187B0001'", [("Mötley Crüe",)]),
            ("select title from dim_songs where song_id = 'SONONASCII12AB00001'", [("Kickstart My Heart ♥",)]),
        ),
    ),
    Case(
        "duplicate_event_in_two_files",
        "the same event in two files: landing keeps both, staging and the fact keep one (warns)",
        {"log_data/2018/11/2018-11-15-events-resent.json": lines(E3)},
        events=[*GOOD_EVENTS, landing_event(E3)],
        warns=frozenset({"duplicate_events"}),
        queries=(("select count(*) from stg_sparkify__events where session_id = 700 and item_in_session = 2", [(1,)]),),
    ),
    Case(
        "ts_outside_file_day_in_full_mode",
        "full run: the same row loads into its own ts day (a prefix COPY cannot tell a row's file)",
        events_file(event(700, 3, NEXT_DAY_TS)),
        events=[*GOOD_EVENTS, landing_event(event(700, 3, NEXT_DAY_TS))],
    ),
    Case(
        "song_file_with_two_objects",
        "a song file holding two objects, one per line: both load",
        {NEW_SONG_KEY: lines(song("SOTWO00000AB0000001", "First"), song("SOTWO00000AB0000002", "Second"))},
        songs=[
            *GOOD_SONGS,
            landing_song(song("SOTWO00000AB0000001", "First")),
            landing_song(song("SOTWO00000AB0000002", "Second")),
        ],
    ),
    Case(
        "song_id_twice",
        "the same song_id in two files: landing keeps both, staging keeps one (title order) (warns)",
        {
            NEW_SONG_KEY: song_file(DUPLICATE_SONG),
            "song_data/A/A/D/TRAAADD128F0000004.json": song_file({**DUPLICATE_SONG, "title": "Aardvark Walk"}),
        },
        songs=[*GOOD_SONGS, landing_song(DUPLICATE_SONG), landing_song({**DUPLICATE_SONG, "title": "Aardvark Walk"})],
        warns=frozenset({"duplicate_songs"}),
        queries=(("select title from dim_songs where song_id = 'SODUPLICATE12AB0001'", [("Aardvark Walk",)]),),
    ),
    Case(
        "year_as_string",
        'year "2004" (a string of digits) loads into the integer column',
        {NEW_SONG_KEY: song_file(song("SOYEAR000000000001", "String Year", year="2004"))},
        songs=[*GOOD_SONGS, landing_song(song("SOYEAR000000000001", "String Year"), year=2004)],
    ),
    Case(
        "pretty_printed_song_file",
        "a song file that is one object spread over several lines loads as one record",
        {NEW_SONG_KEY: json.dumps(PRETTY_SONG, indent=2).encode()},
        songs=[*GOOD_SONGS, landing_song(PRETTY_SONG)],
    ),
    # --- limits: MAXERROR and the rejected-lines threshold; re-runs
    Case(
        "more_rejections_than_max_load_errors",
        "more rejected lines than var max_load_errors (MAXERROR): the load fails naming the table, the "
        "count and the first file:line; nothing is replaced",
        events_file(TRUNCATED, b"garbage", b"[]", E4),
        vars={"max_load_errors": 2},
        before={},
        unchanged=True,
        exit_code=1,
        message=(
            "copy_json staging_events: 3 lines rejected, more than max_load_errors=2 (Redshift MAXERROR): the load "
            "failed and replaced nothing. First rejected line: {root}/" + EVENTS_KEY + ":2 1224 " + MALFORMED
        ),
        # Redshift's own failure (the COPY's), its DETAIL naming the first rejected file and line.
        on_redshift={
            "message": "Load into table 'sparkify_load__staging_events' failed.  Check 'stl_load_errors' system "
            "table for details."
        },
    ),
    Case(
        "rejections_above_load_error_threshold",
        "the files this run loaded rejected more lines than var load_error_threshold: "
        "rejected_lines_of_this_run fails the build (the good lines are loaded)",
        events_file(TRUNCATED, b"[]"),
        vars={"load_error_threshold": 1},
        rejections=(_rejected(TRUNCATED, 2), _rejected(b"[]", 3, NOT_AN_OBJECT)),
        fails=frozenset({"rejected_lines_of_this_run"}),
        exit_code=1,
    ),
    Case(
        "rerun_does_not_duplicate_rejections",
        "loading the same bad file again replaces its rejections: still one row",
        events_file(TRUNCATED),
        before=events_file(TRUNCATED),
        rejections=(_rejected(TRUNCATED, 2),),
    ),
    Case(
        "fixed_file_clears_rejections",
        "after the bad line is fixed, the next load clears its rejection and loads the row",
        events_file(E4),
        before=events_file(TRUNCATED),
        events=[*GOOD_EVENTS, landing_event(E4)],
    ),
]

ENGINE_DIFFERENCES = {case.name: case.engine_difference for case in CASES if case.engine_difference}
