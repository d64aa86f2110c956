"""Render a diagnosis for people: plain text for a terminal at 2 a.m., Markdown for chat surfaces.

The answer comes first, then each finding with its evidence lines, then next steps as commands that can
be copied as they are.
"""

from __future__ import annotations

import textwrap
from typing import Any

from app.diagnosis import Diagnosis, Evidence

_WIDTH = 100


def _indent(text: str, prefix: str = "      ") -> str:
    return textwrap.indent(text, prefix)


def snapshot_note(meta: Any) -> str | None:
    """The header of an answer read from a snapshot whose capture time was inferred (an imported bundle
    that does not record it): the ages in the answer are measured from that guess."""
    if meta is None or not getattr(meta, "captured_at_inferred", False):
        return None
    return (
        f"Snapshot {meta.name}: capture time inferred ({meta.captured_at:%Y-%m-%d %H:%M:%S} UTC, the newest "
        "timestamp in the input); ages are measured from it."
    )


def render_text(diagnosis: Diagnosis, note: str | None = None) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    out: list[str] = [f"({note})", ""] if note else []
    out += [textwrap.fill(diagnosis.summary, _WIDTH), ""]
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
    out.append(f"({diagnosis.engine} · {diagnosis.cluster} · {calls} · {stats.duration_s:.2f}s)")
    return "\n".join(out)


def render_markdown(diagnosis: Diagnosis, note: str | None = None) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    out: list[str] = [f"_{note}_", ""] if note else []
    out += [diagnosis.summary, ""]
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
