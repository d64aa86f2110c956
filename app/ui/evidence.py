"""Every tool result of an answer, one expander each: the tool, its arguments and the exact text the
model (or the diagnostician) read; metric results as charts, flow aggregations as tables; results that a
finding cites are marked and show the cited lines first."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.card import args_text, render_excerpt
from app.ui.charts import draw, has_series
from app.ui.flows import render_flows
from app.ui.safe import md_line, plain
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.tool import ToolResult

MAX_TABLE_ROWS = 200


def render_evidence(diagnosis: Diagnosis | None, results: dict[str, ToolResult], key: str) -> None:
    if not results:
        return
    cited_by = citations(diagnosis)
    excerpts = {item.id: item.excerpt for item in diagnosis.evidence} if diagnosis else {}
    cited = [i for i in results if i in cited_by]
    ordered = cited + [i for i in results if i not in cited_by]  # what the findings rest on first
    index = f"Evidence index: {len(results)} tool results, {len(cited)} cited"
    with st.expander(index, icon=":material/inventory_2:", key=f"evidence-{key}"):
        for evidence_id in ordered:
            result = results[evidence_id]
            findings = cited_by.get(evidence_id, [])
            label = f"{evidence_id} · {result.tool} {args_text(result.args)}"
            if findings:
                label += f" — cited by finding {', '.join(str(n) for n in findings)}"
            icon = ":material/star:" if findings else (":material/error:" if result.error else None)
            with st.expander(md_line(label, 140), icon=icon):
                excerpt = excerpts.get(evidence_id) if findings else None
                _result(result, results, excerpt, f"{key}-{evidence_id}")


def citations(diagnosis: Diagnosis | None) -> dict[str, list[int]]:
    """Evidence id -> the numbers of the findings that cite it."""
    cited: dict[str, list[int]] = {}
    for number, finding in enumerate(diagnosis.findings if diagnosis else [], start=1):
        for ref in finding.evidence:
            cited.setdefault(ref, []).append(number)
    return cited


def _result(result: ToolResult, results: dict[str, ToolResult], excerpt: str | None, key: str) -> None:
    st.caption(md_line(f"source: {result.source} · tool: {result.tool}", 200))
    st.code(plain(json.dumps(result.args, sort_keys=True)), language="json", wrap_lines=True)
    if result.error:
        st.error(md_line(result.error, 500))
    if excerpt:
        st.markdown(":orange-badge[cited lines]")
        render_excerpt(excerpt, result, f"cited-{key}")
    if result.source == "prometheus" and has_series(result.data):
        draw(result.data, key=f"chart-{key}")
    if result.source == "flows" and not render_flows(result, results, key):
        for name, frame in flow_tables(result.data):
            st.caption(md_line(name))
            st.dataframe(frame, hide_index=True, width="stretch", key=f"table-{key}-{name}")
    read = "The output as read" + (" (cut to the token budget)" if result.truncated else "")
    if excerpt:  # the cited lines above say what matters; the whole text stays one click away
        with st.expander(read, icon=":material/description:"):
            render_excerpt(result.text, result, f"read-{key}")
    else:
        st.markdown(f"**{read}**")
        render_excerpt(result.text, result, f"read-{key}")


def flow_tables(data: Any) -> list[tuple[str, pd.DataFrame]]:
    """Tables from a flow tool's ``data``: each list of rows, and each count-by-key mapping."""
    if not isinstance(data, dict):
        return []
    tables: list[tuple[str, pd.DataFrame]] = []
    for name, value in data.items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            rows = [{k: _cell(v) for k, v in row.items()} for row in value[:MAX_TABLE_ROWS]]
            tables.append((name.replace("_", " "), pd.DataFrame(rows)))
        elif isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()):
            frame = pd.DataFrame({"key": [str(k) for k in value], "count": list(value.values())})
            tables.append((name.replace("_", " "), frame))
    return tables


def _cell(value: Any) -> Any:
    """Nested values (lists of attributions, label maps) become one line of text: a table cell is plain."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value
