"""Render a diagnosis for people: plain text for a terminal at 2 a.m., Markdown for chat surfaces.

The answer comes first, then each finding with its evidence lines, then next steps as commands that can
be copied as they are.
"""

from __future__ import annotations

import textwrap

from app.agent.pricing import cost_note
from tools.contracts.diagnosis import Diagnosis, Evidence

_WIDTH = 100


def _indent(text: str, prefix: str = "      ") -> str:
    return textwrap.indent(text, prefix)


def render_text(diagnosis: Diagnosis) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    out: list[str] = [textwrap.fill(diagnosis.summary, _WIDTH), ""]
    for number, finding in enumerate(diagnosis.findings, start=1):
        out.append(f"{number}. [{finding.category.value}] {finding.title}")
        out.append(f"   fix: {finding.resource}   confidence: {finding.confidence:.0%}")
        out.append(_indent(textwrap.fill(finding.explanation, _WIDTH - 3), "   "))
        for ref in finding.evidence:
            item = evidence.get(ref)
            if item is not None:
                out.append(f"   [{ref}] {item.source} · {item.tool} {_args(item)}")
                out.append(_indent(item.excerpt))
        out.append("")
    if diagnosis.next_steps:
        out.append("Next steps:")
        for step in diagnosis.next_steps:
            out.append(f"  - {step.description}")
            if step.command:
                out.append(f"      {step.command}")
        out.append("")
    stats = diagnosis.stats
    calls = f"{stats.tool_calls} tool calls"
    out.append(
        f"({diagnosis.engine} · {diagnosis.cluster} · {calls} · {stats.duration_s:.2f}s{cost_note(stats)})"
    )
    return "\n".join(out)


def render_markdown(diagnosis: Diagnosis) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    out: list[str] = [diagnosis.summary, ""]
    for number, finding in enumerate(diagnosis.findings, start=1):
        out.append(f"**{number}. {finding.title}**  ")
        out.append(
            f"`{finding.category.value}` · fix **{finding.resource}** · confidence {finding.confidence:.0%}"
        )
        out.append("")
        out.append(finding.explanation)
        for ref in finding.evidence:
            item = evidence.get(ref)
            if item is not None:
                out.append("")
                out.append(f"_{ref} · {item.source} · {item.tool} {_args(item)}_")
                out.append("```")
                out.append(item.excerpt.replace("```", "'''"))
                out.append("```")
        out.append("")
    if diagnosis.next_steps:
        out.append("**Next steps**")
        for step in diagnosis.next_steps:
            out.append(f"- {step.description}")
            if step.command:
                out.append(f"  ```\n  {step.command}\n  ```")
    return "\n".join(out)


def _args(item: Evidence) -> str:
    return " ".join(f"{k}={v}" for k, v in item.args.items())
