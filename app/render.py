"""Render a diagnosis for people: plain text for a terminal at 2 a.m., Markdown for chat surfaces.

The direct answer comes first, then each finding with its evidence lines, then next steps as commands
that can be copied as they are (a model's command kubewhy could not check is shown as text, labelled so),
and last what is wrong elsewhere in the cluster (not asked about). Every
string in a diagnosis may come from the cluster or a model, so each is made inert for the medium
(:mod:`tools.inert`): no escape sequence or control character reaches a terminal, and in Markdown nothing
but kubewhy's own structure is markup.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from app.agent.pricing import cost_note
from tools.contracts.diagnosis import UNCHECKED, Diagnosis, Evidence
from tools.inert import markdown as md
from tools.inert import markdown_line, plain

_WIDTH = 100


def _fill(text: str, width: int = _WIDTH) -> str:
    """Wrap prose at spaces only: a resource name, an image reference or a command stays whole (so a
    double-click copies it), even when it is longer than the line."""
    return textwrap.fill(text, width, break_on_hyphens=False, break_long_words=False)


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


def render_text(diagnosis: Diagnosis, note: str | None = None) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    out: list[str] = [f"({note})", ""] if note else []
    lines, rest = _opening(diagnosis)
    out += [line if line.startswith("|") else _fill(line) for line in lines]
    if rest:
        out.append(_fill(rest))
    out.append("")
    for number, finding in enumerate(diagnosis.findings, start=1):
        out.append(f"{number}. [{finding.category.value}] {finding.title}")
        out.append(f"   fix: {finding.resource}   confidence: {finding.confidence:.0%}")
        out.append(_indent(_fill(finding.explanation, _WIDTH - 3), "   "))
        for ref in finding.evidence:
            item = evidence.get(ref)
            if item is not None:
                out.append(f"   [{ref}] {item.source} · {item.tool} {_args(item)}")
                out.append(_indent(item.excerpt))
        out.append("")
    if diagnosis.answer.changes:
        out.append(f"{changes_heading(diagnosis)}:")
        out.extend(f"  - {line}" for line in change_lines(diagnosis))
        out.append("")
    if diagnosis.next_steps:
        out.append("Next steps:")
        for step in diagnosis.next_steps:
            out.append(f"  - {step.description}")
            if step.command and step.checked:
                out.append(f"      {' '.join(step.command.split())}")  # one line, copied as it is
            elif step.command:
                out.append(f"      ({UNCHECKED}) {' '.join(step.command.split())}")
        out.append("")
    if diagnosis.elsewhere:
        out.append("Elsewhere in the cluster (not what was asked about):")
        for finding in diagnosis.elsewhere:
            out.append(f"  - [{finding.category.value}] {finding.title} ({finding.resource})")
        out.append("")
    stats = diagnosis.stats
    calls = f"{stats.tool_calls} tool calls"
    out.append(
        f"({diagnosis.engine} · {diagnosis.cluster} · {calls} · {stats.duration_s:.2f}s{cost_note(stats)})"
    )
    return plain("\n".join(out))  # kubewhy's own text has no control character: all of it can be cleaned


def render_markdown(diagnosis: Diagnosis, note: str | None = None) -> str:
    evidence = {item.id: item for item in diagnosis.evidence}
    out: list[str] = [f"_{markdown_line(note)}_", ""] if note else []
    lines, rest = _opening(diagnosis)
    if lines:
        out.append(f"**{markdown_line(lines[0])}**")
        out.extend(md(line) for line in lines[1:])
    if rest:
        out.extend(["", md(rest)])
    out.append("")
    for number, finding in enumerate(diagnosis.findings, start=1):
        out.append(f"**{number}. {markdown_line(finding.title)}**  ")
        fix = markdown_line(finding.resource)
        out.append(f"`{finding.category.value}` · fix **{fix}** · confidence {finding.confidence:.0%}")
        out.append("")
        out.append(md(finding.explanation))
        for ref in finding.evidence:
            item = evidence.get(ref)
            if item is not None:
                out.append("")
                label = " · ".join([ref, item.source, f"{item.tool} {_args(item)}"])
                out.append(f"_{markdown_line(label)}_")
                out.extend(_fenced(item.excerpt))
        out.append("")
    if diagnosis.answer.changes:
        out.append(f"**{markdown_line(changes_heading(diagnosis))}**")
        out.extend(f"- {markdown_line(line)}" for line in change_lines(diagnosis))
        out.append("")
    if diagnosis.next_steps:
        out.append("**Next steps**")
        for step in diagnosis.next_steps:
            out.append(f"- {markdown_line(step.description) or 'next step'}")  # "-" alone: a heading
            if step.command and step.checked:
                out.extend(f"  {line}" for line in _fenced(" ".join(step.command.split())))
            elif step.command:  # text, not a block to copy
                out.append(f"  _{UNCHECKED}:_ {markdown_line(step.command)}")
    if diagnosis.elsewhere:
        out.extend(["", "**Elsewhere in the cluster** (not what was asked about)"])
        for finding in diagnosis.elsewhere:
            title, fix = markdown_line(finding.title), markdown_line(finding.resource)
            out.append(f"- `{finding.category.value}` {title} ({fix})")
    return "\n".join(out)


def changes_heading(diagnosis: Diagnosis) -> str:
    since = _clock(diagnosis.answer.since)
    return f"What changed before the onset ({since})" if since else "What changed before the onset"


def change_lines(diagnosis: Diagnosis) -> list[str]:
    """One line per change before the onset, oldest first: its time, what changed, the evidence id."""
    lines = []
    for change in diagnosis.answer.changes:
        cited = f" [{', '.join(change.evidence)}]" if change.evidence else ""
        lines.append(f"{_clock(change.at) or change.at} {change.what}{cited}")
    return lines


def _clock(moment: str | None) -> str:
    """HH:MM of an RFC 3339 time ("" when there is none or it does not parse)."""
    try:
        return datetime.fromisoformat(str(moment).replace("Z", "+00:00")).strftime("%H:%M") if moment else ""
    except ValueError:
        return ""


def _fenced(text: str) -> list[str]:
    """Raw text as a fenced code block (shown, never interpreted); no fence inside it can end the block."""
    return ["```", plain(text).replace("```", "'''"), "```"]


def _args(item: Evidence) -> str:
    return " ".join(f"{k}={v}" for k, v in item.args.items())
