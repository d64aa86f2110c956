"""Time windows for range queries: parse "1h30m", and pick a step that gives a chart-sized series."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^(?:\d+(?:ms|[smhdwy]))+$")
_PART = re.compile(r"(\d+)(ms|[smhdwy])")
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS = 120
MAX_WINDOW_S = 31 * 86400


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration ("90s", "1h30m", "2d"); ValueError naming the bad input."""
    cleaned = text.strip().lower()
    if not _DURATION.match(cleaned):
        raise ValueError(f"{text!r} is not a duration like 30m, 1h, 6h or 1h30m")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return float(seconds)


def pick_step(window_s: float) -> float:
    """The smallest round step that keeps the series at or under 120 points (about 60-120)."""
    for step in NICE_STEPS:
        if window_s / step <= MAX_POINTS:
            return float(step)
    return float(window_s / MAX_POINTS)


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
