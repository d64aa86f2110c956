"""Readings of Prometheus range-result series for analyzers: recent level, sustained breach, change point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean, median
from typing import Any


def points(series: dict[str, Any]) -> list[tuple[float, float]]:
    """(unix time, value) pairs, skipping NaN/unparseable samples."""
    result = []
    for stamp, text in series.get("values") or []:
        try:
            value = float(text)
        except (TypeError, ValueError):
            continue
        if not math.isnan(value):
            result.append((float(stamp), value))
    return result


def window(series: dict[str, Any], now: datetime, minutes: float) -> list[float]:
    """Values within the last ``minutes`` before ``now``."""
    start = (now - timedelta(minutes=minutes)).timestamp()
    end = now.timestamp() + 60
    return [value for stamp, value in points(series) if start <= stamp <= end]


def sustained_above(series: dict[str, Any], now: datetime, threshold: float, minutes: float = 15) -> bool:
    """Most (>= 80%) of the last ``minutes`` of samples exceed ``threshold``, and there are enough of them."""
    values = window(series, now, minutes)
    if len(values) < 3:
        return False
    return sum(v > threshold for v in values) >= 0.8 * len(values)


def latest(series: dict[str, Any], now: datetime, minutes: float = 10) -> float | None:
    values = window(series, now, minutes)
    return values[-1] if values else None


@dataclass
class Step:
    at: float  # unix time of the first sample at the new level
    before: float
    after: float


def change_point(series: dict[str, Any], min_side: int = 5) -> Step | None:
    """The split maximising the difference of medians between the two sides (level shift), if any.

    Medians keep a single spike from looking like a step. The caller decides whether the shift matters.
    """
    data = points(series)
    if len(data) < 2 * min_side:
        return None
    values = [v for _, v in data]
    splits = []
    for index in range(min_side, len(values) - min_side + 1):
        before, after = median(values[:index]), median(values[index:])
        splits.append((after - before, index, before, after))
    best_gap = max((gap for gap, *_ in splits), default=0.0)
    if best_gap <= 0:
        return None
    # Every split inside a plateau gives (nearly) the same gap, and noise decides which is largest: take the
    # earliest split of that plateau so the step is dated when it began, not somewhere after it.
    _, index, before, after = next(item for item in splits if item[0] >= 0.9 * best_gap)
    best = Step(at=data[index][0], before=before, after=after)
    # Refine: the first sample of the new side that really is at the new level.
    threshold = (best.before + best.after) / 2
    for stamp, value in data:
        if stamp >= best.at - 600 and value > threshold:
            best.at = stamp
            break
    best.before = (
        mean(v for t, v in data if t < best.at) if any(t < best.at for t, _ in data) else best.before
    )
    return best


def label(series: dict[str, Any], name: str) -> str:
    return str((series.get("metric") or {}).get(name, ""))
