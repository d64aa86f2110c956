"""Time windows for range queries: pick a step that gives a chart-sized series, and print a window."""

from __future__ import annotations

NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS = 120
MAX_WINDOW_S = 31 * 86400


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
