"""Series summaries for models: a few numbers and the moments something changed, instead of raw points.

A model reading 120 points per series wastes its budget and still misses the step. Each series is reduced
to min/max/mean/last, a trend (rising/falling/flat) and change points found by binary segmentation: the
split that best explains the series as two constant levels is kept when the jump is large against the
noise, against the series' own scale, and clearly better explained by a step than by a straight line
(so a steadily climbing counter is a trend, not a "jump"). The structured data keeps every point.

numpy is imported by the functions that summarize series: a question answered without Prometheus (every
CLI answer on a snapshot with no metrics) does not pay for loading it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from tools.budget import count_tokens

MIN_SEGMENT = 3  # points on each side of a change point
MAX_CHANGE_POINTS = 3
NOISE_FACTOR = 4.0  # a jump must exceed this many noise sigmas
RELATIVE_JUMP = 0.05  # ... and this fraction of the series' largest absolute value
STEP_VS_LINE = 0.5  # ... and a step must fit at least twice as well as a straight line


@dataclass(frozen=True)
class ChangePoint:
    at: float  # unix seconds of the first point after the jump
    before: float  # mean level before
    after: float  # mean level after

    @property
    def delta(self) -> float:
        return self.after - self.before

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "before": self.before, "after": self.after, "delta": self.delta}


@dataclass
class SeriesSummary:
    labels: dict[str, str]
    points: list[list[float | None]]  # [[ts, value], ...]; NaN/Inf samples become None (valid JSON)
    min: float = float("nan")
    max: float = float("nan")
    mean: float = float("nan")
    first: float = float("nan")
    last: float = float("nan")
    trend: str = "flat"
    change_points: list[ChangePoint] = field(default_factory=list)

    @property
    def relevance(self) -> float:
        """Larger is more interesting: the biggest jump or the highest current value."""
        jumps = [abs(c.delta) for c in self.change_points]
        last = abs(self.last) if math.isfinite(self.last) else 0.0
        return max([last, *jumps])

    def as_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "points": self.points,
            "summary": {
                "min": _json_number(self.min),
                "max": _json_number(self.max),
                "mean": _json_number(self.mean),
                "first": _json_number(self.first),
                "last": _json_number(self.last),
                "trend": self.trend,
            },
            "change_points": [c.as_dict() for c in self.change_points],
        }


def summarize(labels: dict[str, str], raw_points: list[list[Any]]) -> SeriesSummary:
    """Summarize one range-query series (``values`` as Prometheus returns them)."""
    import numpy as np

    times = np.array([float(ts) for ts, _ in raw_points])
    values = np.array([float(value) for _, value in raw_points])
    points = [[ts, _json_number(v)] for ts, v in zip(times.tolist(), values.tolist(), strict=True)]
    summary = SeriesSummary(labels=labels, points=points)
    if not points:
        return summary
    finite = np.isfinite(values)
    if not finite.any():
        return summary
    times, values = times[finite], values[finite]
    summary.min, summary.max = float(values.min()), float(values.max())
    summary.mean, summary.first, summary.last = float(values.mean()), float(values[0]), float(values[-1])
    summary.trend = trend(values)
    summary.change_points = change_points(times, values)
    return summary


def summarize_matrix(result: list[dict[str, Any]]) -> list[SeriesSummary]:
    """Summaries of every series of a range query, most relevant first (stable for equal relevance)."""
    summaries = [summarize(item.get("metric", {}), item.get("values", [])) for item in result]
    summaries.sort(key=lambda s: (-s.relevance, format_labels(s.labels)))
    return summaries


def noise_sigma(values: np.ndarray) -> float:
    """Robust noise level from first differences (MAD), insensitive to a few large jumps."""
    import numpy as np

    if len(values) < 3:
        return 0.0
    diffs = np.diff(values)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return 1.4826 * mad / np.sqrt(2.0)


def trend(values: np.ndarray) -> str:
    """rising / falling / flat, comparing the last third with the first third of the window."""
    import numpy as np

    n = len(values)
    if n < 3:
        return "flat"
    third = max(1, n // 3)
    change = float(values[-third:].mean() - values[:third].mean())
    scale = float(np.abs(values).max())
    if abs(change) <= max(RELATIVE_JUMP * scale, 2.0 * noise_sigma(values), 1e-12):
        return "flat"
    return "rising" if change > 0 else "falling"


def change_points(times: np.ndarray, values: np.ndarray) -> list[ChangePoint]:
    """Significant level shifts, in time order (binary segmentation on the mean)."""
    import numpy as np

    sigma = noise_sigma(values)
    scale = float(np.abs(values).max()) if len(values) else 0.0
    threshold = max(NOISE_FACTOR * sigma, RELATIVE_JUMP * scale, 1e-12)
    found: list[int] = []
    pending = [(0, len(values))]
    while pending and len(found) < MAX_CHANGE_POINTS:
        start, stop = pending.pop(0)
        split = _best_split(values[start:stop], threshold)
        if split is None:
            continue
        index = start + split
        found.append(index)
        pending.extend([(start, index), (index, stop)])
    found = _merge_ramps(sorted(found), values)
    bounds = [0, *found, len(values)]
    result = []
    for position, index in enumerate(found):
        before = values[bounds[position] : index]
        after = values[index : bounds[position + 2]]
        result.append(
            ChangePoint(at=float(times[index]), before=float(before.mean()), after=float(after.mean()))
        )
    return result


def _merge_ramps(found: list[int], values: np.ndarray) -> list[int]:
    """A shift spread over a few points (a rate() window catching up) is one change, not several: drop
    a change point when the level between it and the previous one is short and moves the same way."""
    import numpy as np

    short = max(2 * MIN_SEGMENT, len(values) // 10)
    merged: list[int] = []
    for index in found:
        if merged and index - merged[-1] < short:
            start = merged[-2] if len(merged) > 1 else 0
            before = values[start : merged[-1]].mean()
            middle = values[merged[-1] : index].mean()
            after = values[index:].mean()
            if np.sign(middle - before) == np.sign(after - middle):
                continue
        merged.append(index)
    return merged


def _best_split(segment: np.ndarray, threshold: float) -> int | None:
    """Index of the best two-level split of ``segment`` if it is a significant step, else None."""
    import numpy as np

    n = len(segment)
    if n < 2 * MIN_SEGMENT:
        return None
    cumsum = np.cumsum(segment)
    total = cumsum[-1]
    splits = np.arange(MIN_SEGMENT, n - MIN_SEGMENT + 1)
    left_mean = cumsum[splits - 1] / splits
    right_mean = (total - cumsum[splits - 1]) / (n - splits)
    # Between-group sum of squares: maximizing it minimizes the two-segment residual.
    gain = splits * (n - splits) / n * (left_mean - right_mean) ** 2
    best = int(np.argmax(gain))
    index = int(splits[best])
    if abs(left_mean[best] - right_mean[best]) <= threshold:
        return None
    step_sse = float(((segment - segment.mean()) ** 2).sum() - gain[best])
    x = np.arange(n, dtype=float) - (n - 1) / 2.0
    centered = segment - segment.mean()
    slope = float((x * centered).sum() / (x * x).sum())
    line_sse = float(((centered - slope * x) ** 2).sum())  # least-squares line, closed form
    if step_sse > STEP_VS_LINE * line_sse:
        return None
    return index


# --- rendering --------------------------------------------------------------------------------------


def format_labels(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{inner}}}"


def format_value(value: float, unit: str = "") -> str:
    """Short human form: 0.93 → 93% for ratios, bytes in Ki/Mi/Gi, seconds in ms, else 4 digits."""
    if not math.isfinite(value):
        return str(value)
    if unit == "ratio":
        return f"{value * 100:.3g}%"
    if unit == "bytes":
        for size, suffix in ((2**40, "Ti"), (2**30, "Gi"), (2**20, "Mi"), (2**10, "Ki")):
            if abs(value) >= size:
                return f"{value / size:.3g}{suffix}"
        return f"{value:.0f}B"
    if unit == "seconds" and 0 < abs(value) < 1:
        return f"{value * 1000:.3g}ms"
    suffix = "/s" if unit == "per_second" else ("s" if unit == "seconds" else "")
    for size, letter in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{letter}{suffix}"
    return f"{value:.4g}{suffix}"


def format_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Window:
    """The range a query covered, so a series that appears or vanishes inside it can say when."""

    start: float
    end: float
    step: float

    def presence(self, points: list[list[float | None]]) -> str:
        if not points:
            return ""
        first, last = points[0][0], points[-1][0]
        notes = []
        if first is not None and first > self.start + 1.5 * self.step:
            notes.append(f"present since {format_time(first)}")
        if last is not None and last < self.end - 1.5 * self.step:
            notes.append(f"absent after {format_time(last)}")
        return ", ".join(notes)


def summary_line(summary: SeriesSummary, unit: str = "", window: Window | None = None) -> str:
    """One line a model can read: labels, last/min/max/mean, trend, and each jump with its time."""
    if not math.isfinite(summary.last):
        return f"{format_labels(summary.labels)}: no numeric samples"
    fmt = lambda v: format_value(v, unit)  # noqa: E731
    parts = [
        f"{format_labels(summary.labels)}: last {fmt(summary.last)}",
        f"min {fmt(summary.min)} max {fmt(summary.max)} mean {fmt(summary.mean)}",
        f"first {fmt(summary.first)}, {summary.trend}",
    ]
    presence = window.presence(summary.points) if window else ""
    if presence:
        parts.append(presence)
    line = ", ".join(parts)
    for change in summary.change_points:
        sign = "+" if change.delta >= 0 else "-"
        line += (
            f"; jumped {fmt(change.before)} → {fmt(change.after)} ({sign}{fmt(abs(change.delta))}) "
            f"at {format_time(change.at)}"
        )
    return line


def render_summaries(
    summaries: list[SeriesSummary],
    budget_tokens: int,
    unit: str = "",
    max_series: int = 20,
    window: Window | None = None,
) -> tuple[list[str], bool]:
    """Lines for the most relevant series that fit the budget, then how many were left out."""
    lines: list[str] = []
    used = 0
    hint = "{count} more series not shown; narrow with label filters"
    reserve = count_tokens(hint) + 8
    for index, summary in enumerate(summaries):
        line = summary_line(summary, unit, window)
        cost = count_tokens(line) + 1
        if index >= max_series or used + cost + reserve > budget_tokens:
            lines.append(hint.format(count=len(summaries) - index))
            return lines, True
        lines.append(line)
        used += cost
    return lines, False


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None
