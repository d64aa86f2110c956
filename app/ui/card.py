"""The diagnosis card: the answer first, then each finding with its category, the object to fix, the
confidence, the explanation and the evidence it cites; next steps as copyable commands (a model's command
kubewhy could not check as labelled text, without a copy button)."""

from __future__ import annotations

import streamlit as st

from app.agent.pricing import format_cost, tokens_text
from app.render import opening
from app.ui import runtime
from app.ui.changes import render_changes
from app.ui.charts import draw, has_series
from app.ui.flows import render_flows
from app.ui.objects import named_objects, render_objects
from app.ui.promql import render_query, split_excerpt
from app.ui.safe import md, md_line, plain
from tools.contracts.diagnosis import UNCHECKED, Category, Diagnosis, Evidence, Finding, NextStep
from tools.contracts.tool import ToolResult

SHOWN_STEPS = 4
_FAMILY_COLORS = {
    "red": {"AppCrash", "OOMKilled", "ImagePull", "MissingConfig", "ProbeFailure"},
    "orange": {"InsufficientResources", "SchedulingConstraint", "QuotaExceeded", "AutoscalingLimit"},
    "blue": {
        "ServiceNoEndpoints",
        "ServicePortMismatch",
        "NetworkPolicyBlocked",
        "DNSFailure",
        "IngressMisconfig",
        "NetworkCapacity",
    },
    "violet": {"StorageProvisioning", "VolumeAttach", "VolumeFull", "CertificateExpired", "RBACForbidden"},
    "green": {"CPUThrottling", "PerformanceRegression"},
}


def category_color(category: Category) -> str:
    for color, names in _FAMILY_COLORS.items():
        if category.value in names:
            return color
    return "gray"


def badge(text: str, color: str) -> str:
    """A Markdown badge directive whose label is inert."""
    return f":{color}-badge[{md_line(text, 120)}]"


def confidence_color(confidence: float) -> str:
    return "green" if confidence >= 0.8 else ("orange" if confidence >= 0.5 else "gray")


def render_card(diagnosis: Diagnosis, results: dict[str, ToolResult], key: str) -> None:
    """Summary, findings and next steps. ``results`` lets cited metrics be drawn next to their excerpt."""
    evidence = {item.id: item for item in diagnosis.evidence}
    answer, rest = opening(diagnosis)
    with st.container(border=True, key=f"card-{key}"):
        if answer:
            if "\n" in answer:  # a ranking's table: shown as the text it is
                st.text(answer)
            else:
                st.markdown(f"**{md(answer)}**")
            if rest:
                st.markdown(md(rest))
        else:
            st.markdown(md(diagnosis.summary))
        render_changes(diagnosis, key)
        st.caption(md_line(_footer(diagnosis)))
    charted: set[str] = set()
    for number, finding in enumerate(diagnosis.findings, start=1):
        with st.container(border=True, key=f"finding-{key}-{number}"):
            _finding(number, finding, evidence, results, charted, key, diagnosis.cluster)
    if diagnosis.next_steps:
        with st.container(border=True, key=f"steps-{key}"):
            st.markdown("**Next steps** — suggestions for you to run; kubewhy never changes the cluster")
            shown, more = diagnosis.next_steps[:SHOWN_STEPS], diagnosis.next_steps[SHOWN_STEPS:]
            _steps(shown)
            if more:
                with st.expander(f"{len(more)} more next steps"):
                    _steps(more)
    if diagnosis.elsewhere:
        with st.expander("Elsewhere in the cluster", expanded=False, icon=":material/travel_explore:"):
            st.caption("Problems found that the question was not about; none of them is its cause.")
            for finding in diagnosis.elsewhere:
                st.markdown(
                    f"- {badge(finding.category.value, category_color(finding.category))} {md(finding.title)}"
                )


def _steps(steps: list[NextStep]) -> None:
    for step in steps:
        st.caption(md(step.description))
        if step.command and step.checked:
            st.code(plain(step.command), language="bash", wrap_lines=True)
        elif step.command:  # text, never a block with a copy button
            st.caption(f":orange-badge[{UNCHECKED}] {md_line(step.command, 400)}")


def _finding(
    number: int,
    finding: Finding,
    evidence: dict[str, Evidence],
    results: dict[str, ToolResult],
    charted: set[str],
    key: str,
    cluster: str,
) -> None:
    st.markdown(f"**{number}\\. {md(finding.title)}**")
    st.markdown(
        " ".join(
            [
                badge(finding.category.value, category_color(finding.category)),
                badge(f"fix: {finding.resource}", "gray"),
                badge(f"confidence {finding.confidence:.0%}", confidence_color(finding.confidence)),
            ]
        )
    )
    st.markdown(md(finding.explanation))
    cited = [evidence[ref] for ref in finding.evidence if ref in evidence]
    render_objects(named_objects(finding, cited), cluster, f"{key}-{number}")
    if not cited:
        st.caption("No tool output backs this finding; treat it as a lead to check.")
        return
    label = f"Evidence: {', '.join(item.id for item in cited)}"
    with st.expander(label, icon=":material/fact_check:"):
        for item in cited:
            st.caption(md_line(f"{item.id} · {item.source} · {item.tool} {args_text(item.args)}"))
            result = results.get(item.id)
            render_excerpt(item.excerpt, result, f"card-{key}-{item.id}")
            if result is not None and item.id not in charted and _chart(result, results, f"{key}-{item.id}"):
                charted.add(item.id)


def _chart(result: ToolResult, results: dict[str, ToolResult], key: str) -> bool:
    """A cited metric's chart, or a cited flow result's verdict timeline; False when there is none."""
    if has_series(result.data):
        return draw(result.data, key=f"card-chart-{key}", height=140)
    return result.source == "flows" and render_flows(result, results, f"card-{key}", table=False)


def render_excerpt(excerpt: str, result: ToolResult | None, key: str) -> None:
    """Cited lines as read, each PromQL query in it folded to one line (with links to run it)."""
    queries, rest = split_excerpt(excerpt)
    for number, query in enumerate(queries):
        render_query(query, result.data if result else None, runtime.settings(), f"{key}-q{number}")
    if rest.strip():
        st.code(plain(rest), language=None, wrap_lines=True)


def args_text(args: dict[str, object]) -> str:
    return " ".join(f"{name}={value}" for name, value in args.items())


def _footer(diagnosis: Diagnosis) -> str:
    stats = diagnosis.stats
    engine = "built-in diagnostician" if diagnosis.engine == "offline" else diagnosis.engine
    parts = [engine, diagnosis.cluster, f"as of {diagnosis.answered_at}", f"{stats.tool_calls} tool calls"]
    parts.append(f"{stats.duration_s:.2f} s")
    tokens = tokens_text(stats)
    if tokens:
        parts.append(tokens)
    cost = format_cost(stats.cost_usd)
    if cost:
        parts.append(cost)
    return " · ".join(parts)
