"""Kubernetes time, said once: RFC 3339 timestamps as the API server writes them, ages as kubectl prints
them, and durations as people write them ("90s", "15m", "1h30m", "2d")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|[smhdwy]))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[smhdwy])")


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 (Z or an offset, any fraction, nanoseconds too) to an aware datetime; None if unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    match = _FRACTION.match(text)
    if match and match.group(2):  # Python wants at most 6 fraction digits
        text = match.group(1) + match.group(2)[:7] + match.group(3)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """The API server's time format: seconds precision, UTC, 'Z' (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def age(value: Any, now: datetime) -> timedelta | None:
    """How long before ``now`` the timestamp ``value`` was; None when it cannot be read."""
    moment = parse_time(value)
    return None if moment is None else now - moment


def kubectl_age(value: Any, now: datetime) -> str:
    """The AGE column of `kubectl get`: '45s', '3m20s', '5h', '12d'; '<unknown>' when unreadable."""
    delta = age(value, now)
    return "<unknown>" if delta is None else human_duration(delta.total_seconds())


def human_duration(seconds: float) -> str:
    """kubectl's short duration format (apimachinery's HumanDuration): 45s, 3m20s, 5h, 12d, 2y30d."""
    total = int(seconds)
    if total < -1:
        return "<invalid>"
    if total < 0:
        return "0s"
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = total // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def parse_duration(text: str) -> float:
    """Seconds in a duration written with units ("90s", "15m", "1h30m", "2d", "500ms", "1.5h"), as
    Prometheus and kubectl take them; ValueError naming the bad input (a bare number has no unit)."""
    cleaned = text.strip().lower()
    if not _DURATION.match(cleaned):
        raise ValueError(f"{text!r} is not a duration like 30m, 1h, 6h or 1h30m")
    seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(cleaned))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return seconds
