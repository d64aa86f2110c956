"""What changed before the onset, as a timeline: one lane per kind of change (rollout, config, policy,
Service, scaling, node, traffic), a point per change at its time, and the onset marked, over the half hour
the diagnostician searched (``app.diagnose.measure.changes_before`` found them; the answer carries them
in ``answer.changes``). Chart text is drawn by Vega-Lite, never interpreted: names stay inert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.diagnose.measure import CHANGES_AFTER, CHANGES_BEFORE
from app.ui.charts import moment_marks
from app.ui.safe import md_line
from tools.contracts.diagnosis import Answer, Diagnosis

ONSET_COLOR = "#d62728"
LANE_PX = 26
KIND_NAMES = {
    "rollout": "rollout", "config": "config", "policy": "policy", "service": "Service",
    "storage": "storage", "scaling": "autoscaling", "node": "node", "traffic": "traffic", "object": "other",
}  # fmt: skip
KIND_COLORS = {
    "rollout": "#1f77b4", "config": "#9467bd", "policy": "#ff7f0e", "service": "#17becf",
    "storage": "#8c564b", "scaling": "#bcbd22", "node": "#7f7f7f", "traffic": "#2ca02c", "object": "#e377c2",
}  # fmt: skip


def change_rows(answer: Answer) -> pd.DataFrame:
    """One row per change before the onset, numbered oldest first: its time, lane, what changed and the
    evidence that shows it."""
    changes = sorted((c for c in answer.changes if _moment(c.at) is not None), key=lambda c: c.at)
    rows = [
        {
            "number": str(number),
            "time": _moment(change.at),
            "kind": KIND_NAMES.get(change.kind, change.kind),
            "color": KIND_COLORS.get(change.kind, KIND_COLORS["object"]),
            "what": change.what,
            "evidence": ", ".join(change.evidence),
        }
        for number, change in enumerate(changes, start=1)
    ]
    return pd.DataFrame(rows, columns=["number", "time", "kind", "color", "what", "evidence"])


def changes_chart(answer: Answer) -> alt.LayerChart | None:
    """The timeline of an answer's changes with its onset marked; None without an onset or changes. Each
    point carries its number in the list under the chart (a label per point would not fit at 420 px)."""
    onset = _moment(answer.since)
    rows = change_rows(answer)
    if onset is None or rows.empty:
        return None
    start = min(onset - CHANGES_BEFORE, rows["time"].min())
    end = max(onset + CHANGES_AFTER, rows["time"].max())
    lanes = list(dict.fromkeys(rows["kind"]))
    x = alt.X(
        "time:T",
        axis=alt.Axis(format="%H:%M", title=None, labelOverlap=True, tickCount=6),
        scale=alt.Scale(domain=[start.isoformat(), end.isoformat()]),
    )
    y = alt.Y("kind:N", sort=lanes, axis=alt.Axis(title=None, labelLimit=90), scale=alt.Scale(padding=0.6))
    tooltip = [
        alt.Tooltip("number:N", title="change"),
        alt.Tooltip("time:T", format="%H:%M:%S", title="at"),
        alt.Tooltip("what:N"),
        alt.Tooltip("evidence:N"),
    ]
    base = alt.Chart(rows).encode(x=x, y=y, tooltip=tooltip)
    points = base.mark_point(filled=True, size=120, opacity=1).encode(color=alt.Color("color:N", scale=None))
    numbers = base.mark_text(dy=-13, fontSize=11, fontWeight="bold").encode(text="number:N")
    marks = pd.DataFrame([{"time": onset, "onset": f"onset {onset:%H:%M}"}])
    rule, onset_label = moment_marks(marks, ONSET_COLOR, "onset:N", "onset:N", align="right")
    title = alt.TitleParams(
        text="What changed before the onset",
        anchor="start",
        fontSize=13,
        offset=14,  # room above the plot for the onset label
    )
    fit = alt.AutoSizeParams(type="fit-x", contains="padding")
    return alt.layer(rule, points, numbers, onset_label).properties(
        height=LANE_PX * len(lanes), title=title, autosize=fit
    )


@st.cache_data(max_entries=256, show_spinner=False)
def changes_spec(answer_json: str) -> dict[str, Any] | None:
    """The chart's Vega-Lite spec, built once per answer (the page redraws every answer on each rerun)."""
    chart = changes_chart(Answer.model_validate_json(answer_json))
    return None if chart is None else chart.to_dict()


def render_changes(diagnosis: Diagnosis, key: str) -> bool:
    """The timeline of what changed before the onset, then the changes as a numbered list (time, what,
    the evidence that shows it); False when the answer has none to draw."""
    if not diagnosis.answer.changes or not diagnosis.answer.since:
        return False
    spec = changes_spec(diagnosis.answer.model_dump_json())
    if spec is None:
        return False
    with st.container(key=f"changes-{key}"):  # inside the answer's card, under its direct answer
        st.vega_lite_chart(spec, width="stretch", key=f"changes-chart-{key}")
        lines = []
        for row in change_rows(diagnosis.answer).itertuples():
            cited = f" · evidence {md_line(row.evidence)}" if row.evidence else ""
            lines.append(f"{row.number}. **{row.time:%H:%M}** {md_line(row.what, 400)}{cited}")
        st.caption("\n".join(lines))  # small type: the list repeats the chart's points in words
    return True


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
