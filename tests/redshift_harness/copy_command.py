"""Redshift `COPY … FROM 's3://…' … FORMAT AS JSON …`, emulated for the PostgreSQL-backed harness.

This module does the part of a Redshift COPY that PostgreSQL cannot: parse the statement with
Redshift's grammar (a misspelled or unsupported option fails loudly), list the S3 key prefix,
read the objects and the JSONPaths file, split each object into JSON records with their file and
line, and map keys to the COPY's columns ('auto' case-sensitively, 'auto ignorecase', or a
JSONPaths file positionally). Lines that are not JSON are load errors here (1220 bad UTF-8, 1224
malformed JSON). Type conversion, BLANKSASNULL/EMPTYASNULL, TRUNCATECOLUMNS, TIMEFORMAT, MAXERROR and
stl_load_errors happen inside PostgreSQL, in harness_copy() (shims.sql), against the real column types.

Redshift reference: https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html and
copy-usage_notes-copy-from-json.html; load error codes: r_Load_Error_Reference.html.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Load error codes and reasons this module produces: Redshift's codes (r_Load_Error_Reference), the
# reasons worded as the project's load error contract (macros/copy_json/sparkify_load_error_contract.sql)
# so that both engines write identical load_errors rows.
BAD_UTF8 = (1220, "String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: {hex}")
BYTE_ORDER_MARK = (1224, "Malformed JSON: the line starts with a UTF-8 byte order mark (EF BB BF)")
MALFORMED_JSON = (1224, "Malformed JSON: the line is not one valid JSON object")
NOT_AN_OBJECT = (1224, "Malformed JSON: the line is valid JSON but not an object")

RAW_LINE_CHARS = 1024  # stl_load_errors.raw_line is char(1024); shown ASCII-only, so chars = bytes
NON_ASCII = re.compile(r"[^\x01-\x7f]")


class CopyError(Exception):
    """A COPY that Redshift would reject before loading a row; message (and detail) as Redshift words it."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


# Parameters Redshift's COPY accepts that this harness does not emulate: using one fails loudly.
NOT_EMULATED = {
    "ACCEPTANYDATE", "ACCESS_KEY_ID", "AVRO", "BZIP2", "CREDENTIALS", "CSV", "DELIMITER", "ENCODING",
    "ENCRYPTED", "ESCAPE", "EXPLICIT_IDS", "FILLRECORD", "FIXEDWIDTH", "GZIP", "IGNOREALLERRORS",
    "IGNOREBLANKLINES", "IGNOREHEADER", "LZOP", "MANIFEST", "MASTER_SYMMETRIC_KEY", "NOLOAD", "NULL",
    "ORC", "PARQUET", "READRATIO", "REMOVEQUOTES", "ROUNDEC", "SECRET_ACCESS_KEY", "SESSION_TOKEN",
    "SHAPEFILE", "SSH", "TRIMBLANKS", "ZSTD", "ACCEPTINVCHARS", "SERIALIZETOJSON", "EXTENSION",
}  # fmt: skip

TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/
    |(?P<string>'(?:[^']|'')*')
    |(?P<ident>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))*)
    |(?P<number>\d+)
    |(?P<punct>[(),;])""",
    re.VERBOSE | re.DOTALL,
)
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


@dataclass
class CopyStatement:
    table: str
    columns: list[str]
    source: str
    iam_role: str = ""
    region: str = ""
    json_option: str = ""
    truncatecolumns: bool = False
    blanksasnull: bool = False
    emptyasnull: bool = False
    maxerror: int = 0
    timeformat: str = ""
    dateformat: str = ""
    notes: list[str] = field(default_factory=list)


def is_copy(sql: str) -> bool:
    tokens = _tokens(sql, strict=False)
    return bool(tokens) and tokens[0][1].upper() == "COPY"


def _tokens(sql: str, strict: bool = True) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(sql):
        match = TOKEN.match(sql, pos)
        if not match:
            if not strict:
                break
            raise CopyError(f'syntax error at or near "{sql[pos : pos + 20].split()[0]}"')
        pos = match.end()
        if match.lastgroup:
            tokens.append((match.lastgroup, match.group(match.lastgroup)))
    return tokens


def _unquote(token: tuple[str, str]) -> str:
    kind, text = token
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "ident" and text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def parse_copy(sql: str) -> CopyStatement:
    """Parses a COPY with Redshift's grammar (the subset this harness emulates)."""
    tokens = _tokens(sql.strip().rstrip(";"))
    pos = 0

    def peek(offset: int = 0) -> tuple[str, str]:
        return tokens[pos + offset] if pos + offset < len(tokens) else ("end", "")

    def take(kind: str | None = None, word: str | None = None) -> tuple[str, str]:
        nonlocal pos
        token = peek()
        if (kind and token[0] != kind) or (word and token[1].upper() != word):
            near = token[1] or "end of input"
            raise CopyError(f'syntax error at or near "{near}"')
        pos += 1
        return token

    def optional(word: str) -> bool:
        nonlocal pos
        if peek()[0] == "ident" and peek()[1].upper() == word:
            pos += 1
            return True
        return False

    take("ident", "COPY")
    table = take("ident")[1]
    columns: list[str] = []
    if peek()[1] == "(":
        take("punct")
        while True:
            columns.append(_unquote(take("ident")).lower() if not peek()[1].startswith('"') else _unquote(take()))
            if peek()[1] == ",":
                take("punct")
                continue
            take("punct", ")")
            break
    take("ident", "FROM")
    source = _unquote(take("string"))
    copy = CopyStatement(table=table, columns=columns, source=source)
    while peek()[0] != "end":
        kind, text = peek()
        word = text.upper()
        if kind != "ident":
            raise CopyError(f'syntax error at or near "{text}"')
        pos += 1
        if word == "IAM_ROLE":
            if optional("DEFAULT"):
                raise CopyError("harness: IAM_ROLE default is valid Redshift but not emulated; name the role ARN")
            copy.iam_role = _unquote(take("string"))
            for arn in copy.iam_role.split(","):
                if not IAM_ROLE_ARN.match(arn):
                    raise CopyError(f"Invalid IAM_ROLE ARN '{arn}'", "expected arn:aws:iam::<account>:role/<name>")
        elif word == "REGION":
            optional("AS")
            copy.region = _unquote(take("string"))
            if not REGION.match(copy.region):
                raise CopyError(f"Invalid region '{copy.region}'")
        elif word in ("FORMAT", "JSON"):
            if word == "FORMAT":
                optional("AS")
                if peek()[1].upper() != "JSON":
                    raise CopyError(f"harness: FORMAT AS {peek()[1]} is valid Redshift but not emulated (JSON only)")
                take("ident")
            optional("AS")
            copy.json_option = _unquote(take("string"))
        elif word in ("TRUNCATECOLUMNS", "BLANKSASNULL", "EMPTYASNULL"):
            setattr(copy, word.lower(), True)
        elif word in ("COMPUPDATE", "STATUPDATE"):
            # Physical statistics/compression: nothing to emulate on PostgreSQL.
            if peek()[0] == "ident" and peek()[1].upper() in ("ON", "OFF", "TRUE", "FALSE", "PRESET"):
                pos += 1
            copy.notes.append(f"{word} accepted, no effect on PostgreSQL")
        elif word == "MAXERROR":
            optional("AS")
            copy.maxerror = int(take("number")[1])
        elif word in ("TIMEFORMAT", "DATEFORMAT"):
            optional("AS")
            setattr(copy, word.lower(), _unquote(take("string")))
        elif word in NOT_EMULATED:
            raise CopyError(f"harness: COPY parameter {word} is valid Redshift but not emulated by the harness")
        else:
            raise CopyError(f'syntax error at or near "{text}"')
    if not source.startswith("s3://"):
        raise CopyError(f"harness: COPY FROM '{source}': only s3:// sources are emulated")
    if not copy.iam_role:
        raise CopyError("harness: COPY without IAM_ROLE: the project authorizes COPY with an IAM role only")
    if not copy.json_option:
        raise CopyError("harness: COPY without FORMAT AS JSON is not emulated")
    if not columns:
        raise CopyError("harness: COPY without a column list is not emulated")
    return copy


# ---------------------------------------------------------------------------------------------
# Reading the data


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def list_prefix(s3, uri: str) -> list[str]:
    """Keys under a key prefix, as COPY matches them (prefix match, not a folder)."""
    bucket, prefix = split_s3(uri)
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/")]
    if not keys:
        raise CopyError(
            f"The specified S3 prefix '{prefix}' does not exist",
            f"error: The specified S3 prefix '{prefix}' does not exist; code: 8001; query: COPY from {uri}",
        )
    return sorted(keys)


def read_object(s3, uri: str) -> bytes:
    bucket, key = split_s3(uri)
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise CopyError(f"The specified S3 object '{uri}' does not exist") from None


PATH_STEP = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*(\d+)\s*\]""")


def parse_jsonpath(expression: str) -> list[str | int]:
    """$['a']['b'], $.a.b, $['a'][0] → ['a', 'b'] / ['a', 0]; anything else is Redshift's error."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        raise CopyError(f"Invalid JSONPath format: {json.dumps(expression)}")
    steps: list[str | int] = []
    pos = 1
    while pos < len(expression):
        match = PATH_STEP.match(expression, pos)
        if not match:
            raise CopyError(f"Invalid JSONPath format: {json.dumps(expression)}")
        name = match.group(1) or match.group(2) or match.group(3)
        steps.append(int(match.group(4)) if match.group(4) is not None else name)
        pos = match.end()
    if not steps:
        raise CopyError(f"Invalid JSONPath format: {json.dumps(expression)}")
    return steps


def read_jsonpaths(s3, uri: str, columns: list[str]) -> list[list[str | int]]:
    try:
        document = json.loads(read_object(s3, uri))
        paths = document["jsonpaths"]
        assert isinstance(paths, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise CopyError(f"Invalid JSONPath format: {uri} is not an object with a jsonpaths array") from None
    if len(paths) != len(columns):
        raise CopyError(
            "Number of jsonpaths and the number of columns should match. "
            f"JSONPath size: {len(paths)}, Number of columns in table or column list: {len(columns)}"
        )
    return [parse_jsonpath(path) for path in paths]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=_reject_constant)
JSON_SPACE = " \t\r\n"


def _to_text(value: Any) -> str | None:
    """A JSON value as the text COPY converts to the column type (numbers keep their literal)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _raw(line: bytes) -> str:
    """A line as stl_load_errors shows it: without its CR, every non-ASCII character (or byte that is
    not UTF-8) as a period, at most 1024 characters."""
    text = line.decode("utf-8", errors="surrogateescape").rstrip("\r")
    return NON_ASCII.sub(".", text)[:RAW_LINE_CHARS]


def _lookup(document: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            document = document[step] if isinstance(document, list) and step < len(document) else None
        else:
            document = document.get(step) if isinstance(document, dict) else None
        if document is None:
            return None
    return document


def records_of(data: bytes, mapper) -> tuple[list[tuple[int, str, list[str | None]]], list[tuple[int, str, int, str]]]:
    """Splits one object into records: ([(line, raw_line, values)], [(line, raw_line, code, reason)]).

    A file is a sequence of JSON values separated by JSON whitespace; a value may span lines and is
    numbered by the line where it ends. A line with invalid UTF-8 is an error (1220) and is skipped; a
    value that does not parse, or is not an object, is an error (1224) at the line where it starts,
    and parsing resumes on the next line.
    """
    raw_lines = data.split(b"\n")
    lines: list[str] = []
    errors: list[tuple[int, str, int, str]] = []
    for number, line in enumerate(raw_lines, start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            code, reason = BAD_UTF8
            errors.append((number, _raw(line), code, reason.format(hex=f"{line[error.start]:02x}")))
            lines.append("")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def line_at(position: int) -> int:
        return bisect.bisect_right(starts, position) - 1  # 0-based

    text = "\n".join(lines)
    records: list[tuple[int, str, list[str | None]]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in JSON_SPACE:
            pos += 1
        if pos >= len(text):
            break
        first = line_at(pos)
        try:
            value, end = DECODER.raw_decode(text, pos)
        except ValueError:
            kind = BYTE_ORDER_MARK if lines[first].startswith("\ufeff") else MALFORMED_JSON
            errors.append((first + 1, _raw(raw_lines[first]), *kind))
            pos = starts[first + 1]  # resume at the next line
            continue
        last = line_at(end - 1)
        values = mapper(value) if isinstance(value, dict | list) else None
        if values is None:
            errors.append((first + 1, _raw(raw_lines[first]), *NOT_AN_OBJECT))
        else:
            records.append((last + 1, _raw(raw_lines[last]), values))
        pos = end
    errors.sort(key=lambda error: error[0])
    return records, errors


def make_mapper(copy: CopyStatement, s3):
    """Record → column values, per the JSON option."""
    option = copy.json_option
    if option.lower() == "auto":
        return lambda doc: [_to_text(doc.get(c)) for c in copy.columns] if isinstance(doc, dict) else None
    if option.lower() == "auto ignorecase":

        def ignorecase(doc: Any) -> list[str | None] | None:
            if not isinstance(doc, dict):
                return None
            lowered = {key.lower(): value for key, value in reversed(doc.items())}
            return [_to_text(lowered.get(c.lower())) for c in copy.columns]

        return ignorecase
    if option.startswith("s3://"):
        paths = read_jsonpaths(s3, option, copy.columns)
        # A record that is an array only fits JSONPaths that index an array at the root ($[0]).
        needs_object = any(isinstance(steps[0], str) for steps in paths)

        def by_paths(doc: Any) -> list[str | None] | None:
            if needs_object and not isinstance(doc, dict):
                return None
            return [_to_text(_lookup(doc, steps)) for steps in paths]

        return by_paths
    if option.lower() == "noshred":
        raise CopyError("harness: JSON 'noshred' (SUPER) is valid Redshift but not emulated")
    raise CopyError(f"Invalid JSON option '{option}': expected 'auto', 'auto ignorecase' or an s3:// JSONPaths file")


@dataclass
class Load:
    """What harness_copy() gets: rows to convert and insert, and the errors found so far."""

    copy: CopyStatement
    files: list[str]
    records: list[list[Any]]  # [file index, line, raw_line, [values]]
    errors: list[list[Any]]  # [file index, line, raw_line, code, reason]

    def payload(self) -> dict[str, Any]:
        c = self.copy
        return {
            "table": c.table,
            "columns": c.columns,
            "files": self.files,
            "records": self.records,
            "errors": self.errors,
            "options": {
                "truncatecolumns": c.truncatecolumns,
                "blanksasnull": c.blanksasnull,
                "emptyasnull": c.emptyasnull,
                "maxerror": c.maxerror,
                "timeformat": c.timeformat,
                "dateformat": c.dateformat,
            },
        }


def prepare_load(copy: CopyStatement, s3) -> Load:
    mapper = make_mapper(copy, s3)
    bucket, _ = split_s3(copy.source)
    files, records, errors = [], [], []
    for key in list_prefix(s3, copy.source):
        index = len(files)
        files.append(f"s3://{bucket}/{key}")
        file_records, file_errors = records_of(read_object(s3, f"s3://{bucket}/{key}"), mapper)
        records += [[index, line, raw, values] for line, raw, values in file_records]
        errors += [[index, line, raw, code, reason] for line, raw, code, reason in file_errors]
    return Load(copy, files, records, errors)
