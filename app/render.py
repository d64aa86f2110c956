"""Render a diagnosis for people: plain text for a terminal at 2 a.m., Markdown for chat surfaces.

The direct answer comes first, then each finding with its evidence lines, then next steps as commands
that can be copied as they are, and last what is wrong elsewhere in the cluster (not asked about).
"""

from __future__ import annotations

import textwrap

from app.diagnosis import Diagnosis, Evidence

_WIDTH = 100


def _indent(text: str, prefix: str = "      ") -> str:
    return textwrap.indent(text, prefix)


def opening(diagnosis: Diagnosis) -> tuple[str, str]:
    """The direct answer, and the rest of the summary without it (every surface shows the answer first)."""
    text = (diagnosis.answer.text or "").strip()
    if not text:
        return "", diagnosis.summary
    rest = " ".join(part.strip() for part in diagnosis.summary.split(text, 1)).strip()
    return text, rest


def _opening(diagnosis: Diagnosis) -> tuple[list[str], str]:
    text, rest = opening(diagnosis)
    return (text.splitlines() if text else []), rest


def render_text(diagnosis: Diagnosis) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    lines, rest = _opening(diagnosis)
    out: list[str] = [line if line.startswith("|") else textwrap.fill(line, _WIDTH) for line in lines]
    if rest:
        out.append(textwrap.fill(rest, _WIDTH))
    out.append("")
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
    if diagnosis.elsewhere:
        out.append("Elsewhere in the cluster (not what was asked about):")
        for finding in diagnosis.elsewhere:
            out.append(f"  - [{finding.category.value}] {finding.title} ({finding.resource})")
        out.append("")
    stats = diagnosis.stats
    calls = f"{stats.tool_calls} tool calls"
    out.append(f"({diagnosis.engine} · {diagnosis.cluster} · {calls} · {stats.duration_s:.2f}s)")
    return "\n".join(out)


def render_markdown(diagnosis: Diagnosis) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    lines, rest = _opening(diagnosis)
    out: list[str] = []
    if lines:
        out.append(f"**{lines[0]}**")
        out.extend(lines[1:])
    if rest:
        out.extend(["", rest])
    out.append("")
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
    if diagnosis.elsewhere:
        out.extend(["", "**Elsewhere in the cluster** (not what was asked about)"])
        for finding in diagnosis.elsewhere:
            out.append(f"- `{finding.category.value}` {finding.title} ({finding.resource})")
    return "\n".join(out)


def _args(item: Evidence) -> str:
    return " ".join(f"{k}={v}" for k, v in item.args.items())
