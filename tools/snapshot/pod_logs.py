"""Container log text as `GET pods/{name}/log` returns it, cut by the request's options.

Snapshot log lines may start with an RFC 3339 timestamp and a space (what `kubectl logs --timestamps`
prints). That prefix drives `sinceSeconds`/`sinceTime` (measured back from the snapshot's capturedAt)
and is removed unless `timestamps=true`. A line without a prefix belongs to the time of the line
before it (a stack trace continues its log record).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.contracts.kube.time import parse_time

_PREFIX = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$", re.DOTALL)


@dataclass(frozen=True)
class LogOptions:
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: datetime | None = None
    timestamps: bool = False
    limit_bytes: int | None = None


def render_log(lines: Iterable[bytes], options: LogOptions, now: datetime) -> bytes:
    """Apply sinceSeconds/sinceTime, tailLines, timestamps and limitBytes to a log file's lines.

    The body is built in one buffer (a list of a million short lines would cost far more than the log),
    and reading stops once limitBytes is reached when no tail is asked for.
    """
    cutoff = _cutoff(options, now)
    body = bytearray()
    current_time: datetime | None = None
    enough = options.limit_bytes if options.tail_lines is None else None
    for line in lines:
        match = _PREFIX.match(line) if line[:2].isdigit() else None
        if match and cutoff is not None:
            current_time = parse_time(match.group(1).decode("ascii")) or current_time
        if cutoff is not None and current_time is not None and current_time < cutoff:
            continue
        body += line if options.timestamps or not match else match.group(2)
        body += b"\n"
        if enough is not None and len(body) >= enough:
            break
    if options.tail_lines is not None:
        del body[: _tail_start(body, options.tail_lines)]
    text = body.decode("utf-8", errors="replace").encode()  # invalid bytes become U+FFFD
    if options.limit_bytes is not None and len(text) > options.limit_bytes:
        text = text[: options.limit_bytes].decode("utf-8", errors="ignore").encode()  # no half character
    return text


def _cutoff(options: LogOptions, now: datetime) -> datetime | None:
    cutoff = options.since_time
    if options.since_seconds is not None:
        try:
            by_seconds = now - timedelta(seconds=options.since_seconds)
        except OverflowError:  # longer ago than datetime reaches: everything, as the API server does
            return cutoff
        cutoff = max(cutoff, by_seconds) if cutoff else by_seconds
    return cutoff


def _tail_start(body: bytearray, tail: int) -> int:
    """Offset of the first of the last `tail` lines of `body` (which ends with a newline)."""
    position = len(body) - 1
    for _ in range(tail):
        position = body.rfind(b"\n", 0, position)
        if position < 0:
            return 0
    return position + 1
