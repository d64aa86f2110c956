"""Time helpers: every synthetic time is an offset before the snapshot's `capturedAt`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}

Ago = str | int | float | timedelta  # "90m", "1h30m", seconds, or a timedelta


def duration(value: Ago) -> timedelta:
    """'90m', '1h30m', '2d', '45s', a number of seconds or a timedelta, as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = value.strip()
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r} (use e.g. '90s', '45m', '1h30m', '3d')")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def parse_instant(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """The API server's time format: seconds precision, UTC, 'Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(moment: datetime) -> str:
    """Go's RFC3339Nano as `kubectl logs --timestamps` prints it: trailing zeros of the fraction dropped."""
    fraction = f"{moment.microsecond * 1000:09d}".rstrip("0")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def protojson_time(moment: datetime) -> str:
    """A protobuf Timestamp in JSON: 0, 3, 6 or 9 fraction digits (as Hubble's jsonpb output)."""
    nanos = moment.microsecond * 1000
    base = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos == 0:
        return base + "Z"
    if nanos % 1_000_000 == 0:
        return f"{base}.{nanos // 1_000_000:03d}Z"
    if nanos % 1000 == 0:
        return f"{base}.{nanos // 1000:06d}Z"
    return f"{base}.{nanos:09d}Z"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
