"""A diagnosis as Slack Block Kit messages, within Slack's limits and with nothing silently lost.

Layout: the summary, then each finding (title, category, the object to fix, confidence, explanation)
followed by the key evidence lines it cites as code blocks, then evidence no finding cites, then the next
steps with their commands as code blocks (a model's unchecked command as labelled text). Long text is
split across sections (3,000 characters each) and the sections are packed into as many messages as needed
(50 blocks each, and a conservative character budget); a split excerpt says which part it is, and every
message says "part i of n".

Every string from the cluster or the model passes through :mod:`app.slack.mrkdwn` (redacted, escaped,
code-fenced), so a log line can neither mention ``@channel`` nor become a link.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.agent.pricing import cost_note
from app.render import change_lines, changes_heading, opening
from app.slack.mrkdwn import FENCE, inert, inert_code, inline_code
from tools.contracts.diagnosis import UNCHECKED, Diagnosis, Evidence, Finding
from tools.contracts.tool import ToolResult
from tools.kubernetes.redact import redact_text

SECTION_CHARS = 3000  # Slack: a section's text
MAX_BLOCKS = 50  # Slack: blocks per message
MESSAGE_CHARS = 12_000  # ours: well below Slack's 40,000 so a message never nears a hard limit
FALLBACK_CHARS = 2900  # the notification text beside the blocks
_PART_LABEL_CHARS = 80  # room kept in a section for "_e3 · part 2 of 4_"

Block = dict[str, Any]


@dataclass
class SlackMessage:
    """One chat.postMessage: the notification text and its blocks."""

    text: str
    blocks: list[Block]


def section(text: str) -> Block:
    """A section of already-safe mrkdwn; ``verbatim`` stops Slack from linking bare URLs and names."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def divider() -> Block:
    return {"type": "divider"}


def block_chars(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False))


# ----- splitting ------------------------------------------------------------------------------------
def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` (escaped mrkdwn) to keep at most ``limit`` characters: after a newline if
    there is one, else after a space, never inside an entity such as ``&amp;``."""
    if len(text) <= limit:
        return len(text)
    window = text[:limit]
    for mark in ("\n", " "):
        at = window.rfind(mark)
        if at > limit // 2:
            return at + 1
    amp = window.rfind("&", max(0, limit - 5))
    return amp if amp > 0 and ";" not in window[amp:] else limit


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line or word ends where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        at = _cut_point(text, limit)
        pieces.append(text[:at].rstrip("\n"))
        text = text[at:]
    pieces.append(text)
    return [piece for piece in pieces if piece] or [""]


def text_sections(safe_text: str) -> list[Block]:
    """Already-safe mrkdwn as as many sections as it needs."""
    return [section(piece) for piece in split_text(safe_text, SECTION_CHARS)]


def code_sections(label: str, raw: str) -> list[Block]:
    """``raw`` untrusted text in code blocks under a safe ``label``; when it needs several sections, each
    one says which part of how many it holds, so a reader knows the excerpt goes on."""
    body = inert_code(raw) or " "
    room = SECTION_CHARS - len(label) - _PART_LABEL_CHARS - 2 * len(FENCE) - 4
    pieces = split_text(body, room)
    blocks = []
    for number, piece in enumerate(pieces, 1):
        head = label if len(pieces) == 1 else f"{label} · _part {number} of {len(pieces)}_"
        blocks.append(section(f"{head}\n{FENCE}\n{piece}\n{FENCE}" if head else f"{FENCE}\n{piece}\n{FENCE}"))
    return blocks


# ----- the diagnosis --------------------------------------------------------------------------------
def _args(item: Evidence | ToolResult) -> str:
    return " ".join(f"{key}={value}" for key, value in item.args.items())


def evidence_label(item: Evidence) -> str:
    args = _args(item)
    return f"*{inert(item.id)}* · {inert(item.source)} · {inert(item.tool)}" + (
        f" {inert(args)}" if args else ""
    )


def finding_blocks(number: int, finding: Finding, evidence: Mapping[str, Evidence]) -> list[Block]:
    head = (
        f"*{number}. {inert(finding.title)}*\n"
        f"{inline_code(finding.category.value)} · fix *{inert(str(finding.resource))}* · "
        f"confidence {finding.confidence:.0%}\n{inert(finding.explanation)}"
    )
    blocks = [divider(), *text_sections(head)]
    for ref in finding.evidence:
        item = evidence.get(ref)
        if item is None:
            blocks.append(context(f"evidence {inert(ref)} was cited but not recorded"))
        else:
            blocks.extend(code_sections(evidence_label(item), item.excerpt))
    return blocks


def diagnosis_blocks(diagnosis: Diagnosis, note: str | None = None) -> list[Block]:
    """Every block of the answer, in reading order, before it is packed into messages."""
    evidence = {item.id: item for item in diagnosis.evidence}
    stats = diagnosis.stats
    facts = (
        f"cluster {inline_code(diagnosis.cluster)} · {inert(diagnosis.engine)} · "
        f"{stats.tool_calls} tool calls · {stats.duration_s:.1f} s{cost_note(stats)}"
    )
    answer, rest = opening(diagnosis)
    first = (
        f":mag: *{inert(answer)}*" + (f"\n{inert(rest)}" if rest else "")
        if answer
        else f":mag: {inert(rest)}"
    )
    blocks = [*text_sections(first), context(facts)]
    for number, finding in enumerate(diagnosis.findings, 1):
        blocks.extend(finding_blocks(number, finding, evidence))
    if diagnosis.answer.changes:  # said once here, not in the findings' explanations
        blocks += [divider(), section(f"*{inert(changes_heading(diagnosis))}*")]
        blocks.extend(text_sections("\n".join(f"• {inert(line)}" for line in change_lines(diagnosis))))
    cited = {ref for finding in diagnosis.findings for ref in finding.evidence}
    others = [item for item in diagnosis.evidence if item.id not in cited]
    if others:
        blocks += [divider(), section("*Other evidence read*")]
        for item in others:
            blocks.extend(code_sections(evidence_label(item), item.excerpt))
    if diagnosis.next_steps:
        blocks += [divider(), section("*Next steps*")]
        for step in diagnosis.next_steps:
            line = f"• {inert(step.description)}"
            if step.command and step.checked:
                blocks.extend(code_sections(line, step.command))
            elif step.command:  # text, never a code block to copy
                blocks.extend(text_sections(f"{line}\n_{UNCHECKED}:_ {inert(step.command)}"))
            else:
                blocks.extend(text_sections(line))
    if diagnosis.elsewhere:
        blocks += [divider(), section("*Elsewhere in the cluster* (not what was asked about)")]
        lines = [f"• {inert(f.title)} ({inert(str(f.resource))})" for f in diagnosis.elsewhere]
        blocks.extend(text_sections("\n".join(lines)))
    if note:
        blocks.append(context(note))
    return blocks


def pack(blocks: Iterable[Block], fallback: str, title: str = "kubewhy diagnosis") -> list[SlackMessage]:
    """Blocks in as few messages as the limits allow; with more than one, each says "part i of n"."""
    parts: list[list[Block]] = [[]]
    used = 0
    room_blocks, room_chars = MAX_BLOCKS - 1, MESSAGE_CHARS - 300  # keep room for the part note
    for block in blocks:
        size = block_chars(block)
        if parts[-1] and (len(parts[-1]) >= room_blocks or used + size > room_chars):
            parts.append([])
            used = 0
        parts[-1].append(block)
        used += size
    total = len(parts)
    messages = []
    for number, part in enumerate(parts, 1):
        if total > 1:
            more = " · continued in the next message" if number < total else " · end"
            part = [*part, context(f"{inert(title)}: part {number} of {total}{more}")]
        text = fallback if number == 1 else f"{title} (part {number} of {total})"
        messages.append(SlackMessage(text=inert(_shorten(text, FALLBACK_CHARS)), blocks=part))
    return messages


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def diagnosis_messages(diagnosis: Diagnosis, note: str | None = None) -> list[SlackMessage]:
    """The diagnosis as ready-to-post messages (the notification text is the summary)."""
    return pack(diagnosis_blocks(diagnosis, note), diagnosis.answer.text or diagnosis.summary)


# ----- the full evidence ----------------------------------------------------------------------------
def evidence_document(diagnosis: Diagnosis, results: Mapping[str, ToolResult] | None = None) -> str:
    """Plain text of everything the engine read (every recorded tool result, in order), redacted: the
    file attached beside the answer. Without recorded results, the cited excerpts."""
    lines = [
        f"kubewhy evidence for: {diagnosis.question}",
        f"cluster {diagnosis.cluster} · {diagnosis.engine} · answered at {diagnosis.answered_at}",
        "",
    ]
    if results:
        for evidence_id, result in results.items():
            status = f" · error: {result.error}" if result.error else ""
            lines.append(f"===== {evidence_id} · {result.source} · {result.tool} {_args(result)}{status}")
            lines.append(result.text.rstrip("\n"))
            if result.truncated:
                lines.append("[the tool left part of its output out; it says above how to narrow the call]")
            lines.append("")
    else:
        for item in diagnosis.evidence:
            lines.append(f"===== {item.id} · {item.source} · {item.tool} {_args(item)}")
            lines.append(item.excerpt.rstrip("\n"))
            lines.append("")
    return redact_text("\n".join(lines))


def evidence_messages(document: str) -> list[SlackMessage]:
    """The evidence document as code-block messages: the fallback when a file cannot be attached."""
    return pack(code_sections("*Full evidence*", document), "kubewhy: full evidence", "full evidence")
