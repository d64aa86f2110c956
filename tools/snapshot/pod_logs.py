"""Container log text as `GET pods/{name}/log` returns it, cut by the request's options.

Snapshot log lines may start with an RFC 3339 timestamp and a space (what `kubectl logs --timestamps`
prints). That prefix drives `sinceSeconds`/`sinceTime` (measured back from the snapshot's capturedAt)
and is removed unless `timestamps=true`. A line without a prefix belongs to the time of the line
before it (a stack trace continues its log record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.contracts.kube.time import parse_time

_PREFIX = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$", re.DOTALL)


@dataclass(frozen=True)
class LogOptions:
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: datetime | None = None
    timestamps: bool = False
    limit_bytes: int | None = None


def render_log(text: str, options: LogOptions, now: datetime) -> str:
    """Apply sinceSeconds/sinceTime, tailLines, timestamps and limitBytes to a log file's text."""
    cutoff = options.since_time
    if options.since_seconds is not None:
        by_seconds = now - timedelta(seconds=options.since_seconds)
        cutoff = max(cutoff, by_seconds) if cutoff else by_seconds
    kept: list[str] = []
    current_time: datetime | None = None
    for line in text.splitlines():
        match = _PREFIX.match(line)
        if match:
            current_time = parse_time(match.group(1)) or current_time
        if cutoff is not None and current_time is not None and current_time < cutoff:
            continue
        kept.append(line if options.timestamps or not match else match.group(2))
    if options.tail_lines is not None:
        kept = kept[-options.tail_lines :] if options.tail_lines > 0 else []
    body = "".join(line + "\n" for line in kept)
    if options.limit_bytes is not None:
        body = body.encode()[: options.limit_bytes].decode("utf-8", errors="ignore")
    return body
