"""Network flows as Hubble shows them: one row per flow (time, source, destination, port, verdict, drop
reason, the NetworkPolicy it was attributed to) and a verdict timeline, forwarded against dropped over the
window, with the moment the verdict changed marked.

``flows_policy`` reads only the drops, counted per pair; a timeline needs the pair's forwarded flows too.
So after an answer cites policy drops, :func:`follow_policy_drops` reads the top pair's flows with one more
read-only ``flows_query`` call, recorded in the answer's ledger like every other call (and so in its audit
history). Chart text is drawn by Vega-Lite, never interpreted: names from the cluster stay inert.
"""

from __future__ import annotations

import math
from datetime import datetime
from itertools import pairwise
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.toolset import call_tool
from app.ui.charts import moment_marks
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolContext, ToolResult

PAIR_FLOWS = 500  # flows_query's own upper limit
BUCKETS = 30
COLORS = {"FORWARDED": "#2ca02c", "DROPPED": "#d62728"}
CHANGE_COLOR = "#444444"
TABLE_ROW_PX, TABLE_MAX_PX = 35, 320
COLUMNS = ["time", "source", "destination", "port", "verdict", "drop reason", "policy"]
# short values: narrow columns leave the room to the names (the policy stays in view at 1400 px)
NARROW_COLUMNS = {name: st.column_config.TextColumn(width="small") for name in ("time", "port")}


def pair_query(pair: dict[str, Any], window: dict[str, Any]) -> dict[str, Any] | None:
    """The ``flows_query`` arguments for every flow of one source workload -> destination port, over the
    window flows_policy read; None when the source is not a workload (an IP, the world)."""
    namespace, _, workload = str(pair.get("source") or "").partition("/")
    if not namespace or not workload or "/" in workload or pair.get("port") is None:
        return None
    try:
        since = datetime.fromisoformat(str(window["since"]))
        until = datetime.fromisoformat(str(window["until"]))
    except (KeyError, ValueError):
        return None
    minutes = max(1, math.ceil((until - since).total_seconds() / 60))
    return {
        "namespace": namespace,
        "workload": workload,
        "side": "source",
        "port": int(pair["port"]),
        "since_minutes": minutes,
        "until": str(window["until"]),
        "limit": PAIR_FLOWS,
    }


def follow_policy_drops(ctx: ToolContext, ledger: Ledger) -> None:
    """For each flows_policy result, read its top pair's flows (both verdicts) into the ledger."""
    for entry in list(ledger.entries.values()):
        result = entry.result
        if result.tool != "flows_policy" or result.error or not isinstance(result.data, dict):
            continue
        pairs = result.data.get("pairs") or []
        args = pair_query(pairs[0], result.data.get("window") or {}) if pairs else None
        if args is not None and ledger.lookup("flows_query", args) is None:
            ledger.record(call_tool(ctx, "flows_query", args))


def attributions(results: dict[str, ToolResult]) -> dict[tuple[str, str, Any], str]:
    """(source, destination, port) -> the NetworkPolicy the drops of that pair were attributed to."""
    found: dict[tuple[str, str, Any], str] = {}
    for result in results.values():
        if result.tool != "flows_policy" or not isinstance(result.data, dict):
            continue
        for pair in result.data.get("pairs") or []:
            names = [
                f"{policy['namespace']}/{policy['name']}"
                for item in pair.get("attributions") or []
                for policy in item.get("policies") or []
                if not policy.get("admits")
            ] + [str(name) for item in pair.get("attributions") or [] for name in item.get("denied_by") or []]
            if names:
                key = (pair.get("source"), pair.get("destination"), pair.get("port"))
                found[key] = ", ".join(dict.fromkeys(names))
    return found


def related_flows(result: ToolResult, results: dict[str, ToolResult]) -> ToolResult | None:
    """The flows_query result with every flow of a flows_policy result's top pair (or the result itself
    when it is a flows_query)."""
    if result.tool == "flows_query":
        return result
    if result.tool != "flows_policy" or not isinstance(result.data, dict) or not result.data.get("pairs"):
        return None
    wanted = pair_query(result.data["pairs"][0], result.data.get("window") or {})
    for other in results.values():
        if other.tool != "flows_query" or other.error or wanted is None:
            continue
        # a recorded call keeps only the arguments that differ from the defaults
        if other.args.get("workload") == wanted["workload"] and all(
            wanted.get(name) == value for name, value in other.args.items()
        ):
            return other
    return None


def flow_table(flows: ToolResult, policies: dict[tuple[str, str, Any], str]) -> pd.DataFrame:
    """One row per flow, oldest first, in Hubble's columns."""
    rows = []
    for flow in (flows.data or {}).get("flows") or []:
        source = str(flow.get("source") or "")
        namespace = source.split("/", 1)[0] if "/" in source else ""
        pod = flow.get("source_pod")
        dropped = flow.get("verdict") == "DROPPED"
        key = (flow.get("source"), flow.get("destination"), flow.get("port"))
        rows.append(
            {
                "time": _clock(flow.get("time")),
                "source": f"{namespace}/{pod}" if namespace and pod else source,
                "destination": str(flow.get("destination") or ""),
                "port": f"{flow.get('port')}/{flow.get('protocol')}" if flow.get("port") else "",
                "verdict": str(flow.get("verdict") or ""),
                "drop reason": str(flow.get("drop_reason") or "") if dropped else "",
                "policy": policies.get(key, "") if dropped else "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def verdict_change(flows: list[dict[str, Any]]) -> tuple[datetime, str, str] | None:
    """When the verdict of the flows first changed (time, before, after), oldest flow first."""
    ordered = sorted((f for f in flows if f.get("time") and f.get("verdict")), key=lambda f: f["time"])
    for earlier, later in pairwise(ordered):
        if later["verdict"] != earlier["verdict"]:
            return _moment(later["time"]), earlier["verdict"], later["verdict"]
    return None


def timeline_chart(data: dict[str, Any], height: int = 130) -> alt.LayerChart | alt.Chart | None:
    """Stacked bars of a flows_query ``data``'s flows per time bucket by verdict, a dashed rule where the
    verdict changed."""
    items = [f for f in data.get("flows") or [] if f.get("time") and f.get("verdict")]
    if not items:
        return None
    window = data.get("window") or {}
    try:
        since, until = _moment(window["since"]), _moment(window["until"])
    except (KeyError, ValueError):
        since, until = _moment(items[0]["time"]), _moment(items[-1]["time"])
    size = max((until - since).total_seconds() / BUCKETS, 1.0)
    counts: dict[tuple[datetime, str], int] = {}
    for flow in items:
        moment = _moment(flow["time"])
        start = since.timestamp() + size * math.floor((moment.timestamp() - since.timestamp()) / size)
        key = (datetime.fromtimestamp(start, moment.tzinfo), flow["verdict"])
        counts[key] = counts.get(key, 0) + 1
    frame = pd.DataFrame([{"time": t, "verdict": v, "flows": n} for (t, v), n in counts.items()])
    verdicts = sorted(frame["verdict"].unique(), key=lambda v: (v not in COLORS, v))
    color = alt.Color(
        "verdict:N",
        scale=alt.Scale(domain=verdicts, range=[COLORS.get(v, "#7f7f7f") for v in verdicts]),
        legend=alt.Legend(orient="bottom", title=None),
    )
    x_axis = alt.Axis(format="%H:%M", title=None, labelOverlap=True, tickCount=6)
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("time:T", axis=x_axis, scale=alt.Scale(domain=[since.isoformat(), until.isoformat()])),
            y=alt.Y("flows:Q", stack=True, axis=alt.Axis(title="flows", tickMinStep=1)),
            color=color,
            tooltip=[alt.Tooltip("time:T", format="%H:%M"), "verdict:N", "flows:Q"],
        )
    )
    chart: alt.LayerChart | alt.Chart = bars
    change = verdict_change(items)
    if change is not None:
        moment, before, after = change
        marks = pd.DataFrame([{"time": moment, "change": f"{before} → {after} at {moment:%H:%M:%S}"}])
        text = alt.Text("time:T", format="change %H:%M")
        rule, label = moment_marks(marks, CHANGE_COLOR, "change:N", text, align="left")
        chart = alt.layer(bars, rule, label)
    subtitle = f"{len(items)} flows"  # offset: room above the bars for the change label
    title = alt.TitleParams(text="Verdicts over time", subtitle=subtitle, anchor="start", offset=16)
    return chart.properties(
        height=height, title=title, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )


@st.cache_data(max_entries=256, show_spinner=False)
def timeline_spec(data: dict[str, Any], height: int = 130) -> dict[str, Any] | None:
    """The chart's Vega-Lite spec, built once per result (the page redraws every answer on each rerun)."""
    chart = timeline_chart(data, height)
    return None if chart is None else chart.to_dict()


def render_flows(result: ToolResult, results: dict[str, ToolResult], key: str, table: bool = True) -> bool:
    """The verdict timeline and (``table``) the flow table of a flow result; False when it has no flows."""
    flows = related_flows(result, results)
    if flows is None or not (flows.data or {}).get("flows"):
        return False
    spec = timeline_spec(flows.data)
    if spec is not None:
        st.vega_lite_chart(spec, width="stretch", key=f"flow-timeline-{key}")
    if table:
        frame = flow_table(flows, attributions(results))
        total = flows.data.get("total", len(frame))
        shown = f"the latest {len(frame)} of {total}" if total > len(frame) else f"{len(frame)}"
        st.caption(f"Flows ({shown}), read with {flows.tool} {_args(flows.args)}")
        height = min(TABLE_ROW_PX * (len(frame) + 1) + 3, TABLE_MAX_PX)
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            height=height,
            column_config=NARROW_COLUMNS,
            key=f"flow-table-{key}",
        )
    return True


def _args(args: dict[str, Any]) -> str:
    return " ".join(f"{name}={value}" for name, value in args.items())


def _moment(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _clock(text: Any) -> str:
    try:
        return f"{_moment(text):%H:%M:%S}"
    except ValueError:
        return str(text or "")
