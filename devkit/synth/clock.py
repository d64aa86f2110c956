"""Time helpers: every synthetic time is an offset before the snapshot's `capturedAt`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tools.contracts.kube.time import parse_duration, parse_time

Ago = str | int | float | timedelta  # "90m", "1h30m", seconds, or a timedelta


def duration(value: Ago) -> timedelta:
    """'90m', '1h30m', '2d', '45s', a number of seconds or a timedelta, as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return timedelta(seconds=parse_duration(value))


def parse_instant(value: str | datetime) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    return moment.astimezone(UTC)


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
