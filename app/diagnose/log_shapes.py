"""Well-known error shapes in container logs: the line an SRE looks for before a crash.

Each shape is a kind (what went wrong), the verbatim line, and a detail pulled out of it (the missing
variable, the host:port refused, the forbidden verb and resource). Analyzers use the kind to decide the
category and the detail to name the cause; the line is cited verbatim.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from tools.contracts.kube.time import parse_time
from tools.contracts.wording import clipped

_TIMESTAMP_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) ")

_Q = r'\\?"'  # a quote; escaped (\") when the message sits inside a JSON or logfmt string value
FORBIDDEN = re.compile(
    rf"is forbidden: User {_Q}system:serviceaccount:(?P<sa_ns>[^:\"\\]+):(?P<sa>[^\"\\]+){_Q} "
    rf"cannot (?P<verb>[\w-]+) resource {_Q}(?P<resource>[^\"\\]+){_Q}"
    rf"(?: in API group {_Q}(?P<group>[^\"\\]*){_Q})?"
    rf"(?: in the namespace {_Q}(?P<ns>[^\"\\]+){_Q}| at the cluster scope)?"
)


def _hostport(group: str) -> str:
    return rf"(?P<{group}>\[?[\w.\-:]+\]?:\d{{1,5}})"


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("forbidden", FORBIDDEN),
    (
        "x509_expired",
        re.compile(r"x509: certificate has expired or is not yet valid|certificate has expired", re.I),
    ),
    ("no_space", re.compile(r"No space left on device|\[Errno 28\]|ENOSPC|disk quota exceeded", re.I)),
    (
        "missing_env",
        re.compile(
            r"(?i:environment variable|env var(?:iable)?|env)\s+[\"']?(?P<var>[A-Z][A-Z0-9_]{2,})[\"']?\s+"
            r"(?i:is\s+)?(?i:not set|unset|missing|required|must be set|is empty)"
            r"|(?i:missing|required)(?i: required)? (?i:environment variable|env(?: var(?:iable)?)?)s?:?\s+"
            r"[\"']?(?P<var2>[A-Z][A-Z0-9_]{2,})"
            r"|KeyError: '(?P<var3>[A-Z][A-Z0-9_]{2,})'"
            r"|required key (?P<var4>[A-Z][A-Z0-9_]{2,}) missing value"
            r"|\b(?P<var5>[A-Z][A-Z0-9_]{2,}) (?:must be set|is not set|is required)"
        ),
    ),
    (
        "no_such_host",
        re.compile(
            r"lookup (?P<host>[\w.\-]+)(?: on [\d.:\[\]]+)?: no such host"
            r"|getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?P<host2>[\w.\-]+)"
            r"|could not translate host name \"(?P<host3>[\w.\-]+)\""
            r"|Name or service not known|Temporary failure in name resolution"
            r"|UnknownHostException: (?P<host4>[\w.\-]+)"
        ),
    ),
    ("dns_timeout", re.compile(r"read udp [\d.:]+->(?P<target>[\d.]+:53): i/o timeout")),
    (
        "connection_refused",
        re.compile(
            r"dial tcp " + _hostport("target") + r": connect: connection refused"
            r"|ECONNREFUSED " + _hostport("target2") + r"|Connection refused|connection refused",
            re.I,
        ),
    ),
    (
        "timeout",
        re.compile(
            r"dial tcp " + _hostport("target") + r": (?:i/o timeout|connect: connection timed out)"
            r"|ETIMEDOUT " + _hostport("target2") + r"|connection timed out|Connect timed out",
            re.I,
        ),
    ),
    (
        "exec_error",
        re.compile(r"exec format error|exec: \"[^\"]+\": executable file not found|exec [^:]+: no such file"),
    ),
    (
        "exception",
        re.compile(
            r"^panic: |^fatal error: |^Exception in thread |^(?:[\w.]+\.)?\w+(?:Error|Exception)(?::|$)"
            r"|^Error: |\bFATAL\b|\bfatal\b.*:|Traceback \(most recent call last\)"
        ),
    ),
]

SHAPE_WORDS = {
    "forbidden": "its ServiceAccount is forbidden from an API call",
    "x509_expired": "a TLS certificate has expired",
    "no_space": "a disk is full (No space left on device)",
    "missing_env": "a required environment variable is missing",
    "no_such_host": "a host name does not resolve",
    "dns_timeout": "DNS queries time out",
    "connection_refused": "a dependency refuses connections",
    "timeout": "connections to a dependency time out",
    "exec_error": "the container command cannot be executed",
    "exception": "the application fails with an error",
}


_MESSAGE_KEYS = ("msg", "message", "error", "err", "exception")


def error_summary(line: str, limit: int = 100) -> str:
    """The error a crash line states, short enough for a title: a structured log's message and error
    fields ("invalid configuration: yaml: line 14: did not find expected key"), else the line itself."""
    text = line.strip()
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            parts = [str(record[k]).strip() for k in _MESSAGE_KEYS if isinstance(record.get(k), str)]
            text = ": ".join(p for p in dict.fromkeys(parts) if p) or text
    return clipped(text, limit)


@dataclass(frozen=True)
class LogShape:
    kind: str
    line: str  # verbatim line, without the timestamp prefix
    detail: str = ""  # the variable, host or host:port the line names
    groups: dict[str, str] = field(default_factory=dict)
    timestamp: str | None = None


def split_timestamp(line: str) -> tuple[str | None, str]:
    """(RFC 3339 prefix or None, the rest) of a log line from ``kubectl logs --timestamps``."""
    match = _TIMESTAMP_PREFIX.match(line)
    if match:
        return match.group(1), line[match.end() :]
    return None, line


def log_lines(text: str) -> list[tuple[str | None, str]]:
    """Non-empty lines as (timestamp or None, text without timestamp)."""
    result = []
    for raw in (text or "").splitlines():
        stamp, rest = split_timestamp(raw.rstrip())
        if rest.strip():
            result.append((stamp, rest.strip()))
    return result


def last_lines(text: str, count: int = 3) -> list[str]:
    return [line for _, line in log_lines(text)[-count:]]


def _detail(match: re.Match[str]) -> str:
    for key, value in match.groupdict().items():
        if value and key.rstrip("0123456789") in ("var", "host", "target"):
            return value
    return ""


def find_shapes(text: str, kinds: tuple[str, ...] | None = None) -> list[LogShape]:
    """Every recognised line (newest last), checking shapes in priority order for each line."""
    found = []
    for stamp, line in log_lines(text):
        for kind, pattern in _PATTERNS:
            if kinds is not None and kind not in kinds:
                continue
            match = pattern.search(line)
            if match:
                groups = {key: value for key, value in match.groupdict().items() if value}
                found.append(LogShape(kind, line, _detail(match), groups, stamp))
                break
    return found


def best_shape(text: str) -> LogShape | None:
    """The most telling line: the highest-priority shape present, its last occurrence."""
    shapes = find_shapes(text)
    order = [kind for kind, _ in _PATTERNS]
    for kind in order:
        matching = [shape for shape in shapes if shape.kind == kind]
        if matching:
            return matching[-1]
    return None


def shape_is_recent(shape: LogShape, now, window) -> bool:
    """A line without a timestamp counts as recent; a timestamped one must lie within ``window``."""
    when = parse_time(shape.timestamp)
    return when is None or now - when <= window
