"""Finds secrets in files: credential-shaped text, and values known to be secret.

    python tests/pytest/secret_scan.py PATH...    # prints path:line: rule: <redacted>; exit code 1 on a finding

Each finding names the file and line and shows the secret redacted (its first 4 characters and its
length; a known secret only by the name it was known under). test_secrets.py runs it over the
git-tracked tree, and at the end of a test session over everything the session wrote.

Exclusions, and why:
- EXCLUDED_VALUES: moto's dummy AWS credentials ("testing", conftest.CREDENTIALS). They are the
  documented placeholder of the moto S3 server, valid for no AWS account, and an ordinary word.
- Templates and placeholders are not secrets: values with {{ }}, ${ }, < >, %( ), or made of one
  repeated character (****, xxxx), the words password/passwd/pass/secret/changeme as a value, and
  the name of a secret as a value ("REDSHIFT_PASSWORD": an env var's name, not its value).
- Code is not a literal: a quoted value with ( ) { } [ ] < > , ; or a backslash is an expression
  (minified JavaScript in dbt's docs site: token: "+(0,a.As)(this.token)+").
- airflow.cfg: Airflow writes the keys it generates for its own instance (fernet_key, secret_key,
  jwt_secret, ...) into its configuration file, by design. Those lines are not findings; the values
  become known secrets instead, which must not appear anywhere else (logs, artifacts). Its comment
  lines are Airflow's documentation of its defaults (examples such as postgres:airflow@postgres).
- Binary files (databases, images, archives, compiled Python; BINARY_SUFFIXES) are not read.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

EXCLUDED_VALUES = {"testing"}
BINARY_SUFFIXES = {
    ".duckdb", ".wal", ".db", ".sqlite", ".msgpack", ".pyc", ".png", ".jpg", ".jpeg", ".gif", ".ico",
    ".pdf", ".gz", ".zip", ".tar", ".whl", ".parquet", ".so",
}  # fmt: skip
# Files that hold an application's own configuration in KEY = VALUE lines (and logs, which may echo them).
CONFIG_SUFFIXES = {".cfg", ".ini", ".env", ".conf", ".properties", ".toml", ".yml", ".yaml", ".log", ".txt", ".out", ""}
AIRFLOW_GENERATED_KEYS = {"fernet_key", "secret_key", "jwt_secret", "internal_api_secret_key"}

_SECRET_WORDS = ["password", "passwd", "secret", "token", "apikey", "api_key", "private_key", "access_key"]
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api_?key|private_?key|access_?key)[A-Za-z0-9_.-]*"


@dataclass(frozen=True)
class Rule:
    name: str
    triggers: list[str]  # lower-case text one of which a matching line contains (a fast pre-filter)
    pattern: re.Pattern[str]  # the secret is the last group of a match


RULES = [
    Rule(
        "aws-access-key-id", ["akia", "asia", "abia", "acca"], re.compile(r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b")
    ),
    Rule(
        "aws-secret-access-key",
        ["secret_access", "secretaccess"],
        re.compile(r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
    ),
    Rule(
        "secret-assignment",
        _SECRET_WORDS,
        re.compile(
            rf"(?i)(?<![A-Za-z0-9_.-])({_SECRET_NAME})[\"']?\s*[:=]\s*([\"'])([^\"'\s(){{}}\[\]<>,;\\]{{8,}})\2"
        ),
    ),
    Rule("password-in-url", ["://"], re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s:/@'\"]+)@[^\s/'\"]")),
    Rule("private-key", ["private key"], re.compile(r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)")),
    Rule(
        "github-token",
        ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    ),
    Rule(
        "slack-token",
        ["xoxa-", "xoxb-", "xoxo-", "xoxp-", "xoxr-", "xoxs-"],
        re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})"),
    ),
]
# KEY=VALUE without quotes, in configuration files and logs only (in code it is a variable): the value.
CONFIG_RULE = Rule(
    "secret-setting",
    [*_SECRET_WORDS, "fernet_key"],
    re.compile(rf"(?i)(?<![A-Za-z0-9_.-])({_SECRET_NAME}|fernet_key)[ \t]*[=:][ \t]*([^\s\"'#,;]{{8,}})"),
)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    rule: str
    shown: str  # the secret, redacted

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.shown}"


def redact(secret: str) -> str:
    return f"{secret[:4]}… ({len(secret)} characters)"


def placeholder(value: str) -> bool:
    """Templates and documentation placeholders, not secrets."""
    return (
        value in EXCLUDED_VALUES
        or value.lower() in {"password", "passwd", "pass", "secret", "changeme"}
        or len(set(value)) == 1
        or bool(re.search(r"\{\{|\$\{|\$[A-Z_]|<[^>]*>|%\(|\{[^}]*\}", value))
        or bool(re.fullmatch(r"[A-Z0-9_]*(PASSWORD|PASSWD|SECRET|TOKEN|KEY)[A-Z0-9_]*", value))
    )


def _lines_containing(text: str, lower: str, triggers: list[str]) -> list[tuple[int, int]]:
    """(start, end) of every line that contains one of the triggers."""
    if len(lower) != len(text):  # lower-casing changed offsets (rare characters): the whole text
        return [(0, len(text))]
    lines = {}
    for trigger in triggers:
        at = lower.find(trigger)
        while at != -1:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            lines[start] = end
            at = lower.find(trigger, end)
    return sorted(lines.items())


def scan_text(text: str, path: Path, known: dict[str, str] | None = None) -> list[Finding]:
    """Findings in one file's text; `known` maps secret values to the name they are known under."""
    findings = []
    seen: set[tuple[int, str]] = set()
    lower = text.lower()

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    is_airflow_cfg = path.name == "airflow.cfg"
    rules = [*RULES, CONFIG_RULE] if path.suffix in CONFIG_SUFFIXES or is_airflow_cfg else RULES
    for rule in rules:
        for start, end in _lines_containing(text, lower, rule.triggers):
            if is_airflow_cfg and text.startswith("#", start):  # Airflow's documentation of its defaults
                continue
            for match in rule.pattern.finditer(text, start, end):
                secret = match.group(match.lastindex or 0)
                if placeholder(secret):
                    continue
                generated = is_airflow_cfg and match.group(1).lower() in AIRFLOW_GENERATED_KEYS
                if generated and rule.name in ("secret-setting", "secret-assignment"):
                    continue
                line = line_of(match.start())
                if (line, secret) not in seen:  # one finding per secret, by the most specific rule
                    seen.add((line, secret))
                    findings.append(Finding(path, line, rule.name, redact(secret)))
    for value, name in (known or {}).items():
        if is_airflow_cfg and name.startswith("airflow.cfg "):  # where Airflow keeps them
            continue
        at = text.find(value)
        while at != -1:
            findings.append(Finding(path, line_of(at), "known-secret", f"<{name}>"))
            at = text.find(value, at + 1)
    return findings


def airflow_generated_secrets(path: Path) -> dict[str, str]:
    """The keys Airflow generated into an airflow.cfg: value -> 'airflow.cfg <key>'."""
    found = {}
    for match in CONFIG_RULE.pattern.finditer(path.read_text(errors="replace")):
        key, value = match.group(1), match.group(2)
        if key.lower() in AIRFLOW_GENERATED_KEYS and not placeholder(value):
            found[value] = f"airflow.cfg {key}"
    return found


def files_under(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink())


def scan_files(files: Iterable[Path], known: dict[str, str] | None = None) -> list[Finding]:
    files = [p for p in files if p.suffix.lower() not in BINARY_SUFFIXES]
    known = dict(known or {})
    for path in files:
        if path.name == "airflow.cfg":
            known |= airflow_generated_secrets(path)
    known = {value: name for value, name in known.items() if value and not placeholder(value)}
    findings = []
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:  # removed while we looked (another process's temporary file)
            continue
        findings += scan_text(text, path, known)
    return findings


def git_tracked_files(project_dir: Path) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=project_dir, capture_output=True, check=True).stdout.decode()
    return [project_dir / name for name in listed.split("\0") if name and (project_dir / name).is_file()]


if __name__ == "__main__":
    results = scan_files(files_under(Path(arg) for arg in sys.argv[1:]))
    for finding in results:
        print(finding)
    sys.exit(1 if results else 0)
