"""Prometheus tool results as time-series charts, with each change point marked.

``prom_check`` and ``prom_query_range`` keep every point and the change points the summarizer found in
their ``data`` (see tools/prometheus/summary.py); this draws them. Charts are Vega-Lite (altair): text in
them is drawn, never interpreted, so label values from the cluster stay inert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

MAX_SERIES = 6
LABEL_LIMIT = 40
CHANGE_COLOR = "#d62728"
_Y_FORMATS = {"ratio": ".0%", "bytes": "~s", "per_second": "~s", "count": "~s", "seconds": "~r"}
_Y_TITLES = {"ratio": "ratio", "bytes": "bytes", "per_second": "per second", "seconds": "seconds"}


def has_series(data: Any) -> bool:
    """True for a range result with at least one point (an instant query or an empty result has none)."""
    if not isinstance(data, dict):
        return False
    series = data.get("series")
    return isinstance(series, list) and any(isinstance(s, dict) and s.get("points") for s in series)


def series_label(labels: dict[str, str], varying: list[str]) -> str:
    """The labels that tell this series from the others in the chart, short enough for a legend."""
    keys = varying or [k for k in ("pod", "container", "workload", "service", "quantile") if k in labels]
    text = ", ".join(f"{k}={labels[k]}" for k in keys if k in labels) or labels.get("__name__", "value")
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def frames(data: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(points, change points) of the most relevant series, with a readable series label each."""
    series = [s for s in data.get("series", []) if s.get("points")][:MAX_SERIES]
    keys = sorted({k for s in series for k in s.get("labels", {}) if k != "__name__"})
    varying = [k for k in keys if len({s.get("labels", {}).get(k) for s in series}) > 1]
    points, changes = [], []
    for item in series:
        label = series_label(item.get("labels", {}), varying)
        for ts, value in item["points"]:
            if ts is not None and value is not None:
                points.append({"time": _time(ts), "value": value, "series": label})
        for change in item.get("change_points", []):
            changes.append(
                {
                    "time": _time(change["at"]),
                    "series": label,
                    "before": change["before"],
                    "after": change["after"],
                    "change": f"{_short(change['before'])} → {_short(change['after'])}",
                    "size": abs(change["after"] - change["before"]),
                }
            )
    return pd.DataFrame(points), pd.DataFrame(changes)


def metric_chart(data: dict[str, Any], height: int = 160) -> alt.LayerChart | alt.Chart | None:
    """A line per series over the query window; a dashed red rule where a series changed level, and the
    time of the biggest change written next to it."""
    points, changes = frames(data)
    if points.empty:
        return None
    unit = data.get("unit", "")
    y_axis = alt.Axis(format=_Y_FORMATS.get(unit, "~s"), title=_Y_TITLES.get(unit), tickCount=5)
    x_axis = alt.Axis(format="%H:%M", title=None, labelOverlap=True, tickCount=6)
    legend = alt.Legend(orient="bottom", direction="vertical", labelLimit=320, title=None)
    lines = (
        alt.Chart(points)
        .mark_line(strokeWidth=2, interpolate="monotone")
        .encode(
            x=alt.X("time:T", axis=x_axis),
            y=alt.Y("value:Q", axis=y_axis),
            color=alt.Color("series:N", legend=legend),
            tooltip=[alt.Tooltip("series:N"), alt.Tooltip("time:T", format="%H:%M"), "value:Q"],
        )
    )
    chart: alt.LayerChart | alt.Chart = lines
    if not changes.empty:
        rules = (
            alt.Chart(changes)
            .mark_rule(color=CHANGE_COLOR, strokeDash=[5, 3], strokeWidth=2)
            .encode(
                x="time:T",
                tooltip=[
                    alt.Tooltip("series:N"),
                    alt.Tooltip("time:T", format="%H:%M", title="changed at"),
                    alt.Tooltip("change:N"),
                ],
            )
        )
        biggest = changes.loc[[changes["size"].idxmax()]]
        marks = (
            alt.Chart(biggest)
            .mark_text(color=CHANGE_COLOR, align="left", dx=4, baseline="bottom", fontWeight="bold")
            .encode(x="time:T", y=alt.value(-3), text=alt.Text("time:T", format="change %H:%M"))
        )
        chart = alt.layer(lines, rules, marks)
    # fit-x: ``height`` is the plot's own height; the legend and title add to it instead of squeezing it.
    return chart.properties(
        height=height, title=_title(data), autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )


@st.cache_data(max_entries=512, show_spinner=False)
def chart_spec(data: dict[str, Any], height: int = 160) -> dict[str, Any] | None:
    """The Vega-Lite spec of :func:`metric_chart`, built once per result: every rerun of the page redraws
    the whole conversation, and building a chart costs ~50 ms."""
    chart = metric_chart(data, height)
    return None if chart is None else chart.to_dict()


def draw(data: dict[str, Any], key: str, height: int = 160) -> bool:
    """Draw the chart of a range result; False when it has nothing to draw."""
    spec = chart_spec(data, height)
    if spec is None:
        return False
    st.vega_lite_chart(spec, width="stretch", key=key)
    return True


def _title(data: dict[str, Any]) -> alt.TitleParams:
    name = data.get("check") or "PromQL"
    window = ""
    if data.get("start") and data.get("end"):
        start = datetime.fromisoformat(data["start"]).astimezone(UTC)
        end = datetime.fromisoformat(data["end"]).astimezone(UTC)
        window = f"{start:%H:%M}–{end:%H:%M} UTC"
    # offset: room above the plot for the change label, which never covers the lines
    return alt.TitleParams(text=str(name), subtitle=window, anchor="start", fontSize=13, offset=16)


def _time(ts: float) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def _short(value: float) -> str:
    return f"{value:.3g}"


def moment_marks(
    marks: pd.DataFrame, color: str, tooltip: str, text: Any, align: str
) -> tuple[alt.Chart, alt.Chart]:
    """A dashed rule at each ``marks.time`` and its bold label above the plot (``align`` "left": the
    label starts right of the rule; "right": it ends left of it): a change or an onset on a timeline."""
    rule = (
        alt.Chart(marks)
        .mark_rule(color=color, strokeDash=[5, 3], strokeWidth=2)
        .encode(x="time:T", tooltip=[tooltip])
    )
    label = (
        alt.Chart(marks)
        .mark_text(
            color=color, align=align, dx=4 if align == "left" else -4, baseline="bottom", fontWeight="bold"
        )
        .encode(x="time:T", y=alt.value(-3), text=text)
    )
    return rule, label
