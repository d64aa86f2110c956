"""The evidence ledger: every tool result an engine reads gets an id; findings may cite only these ids,
and an excerpt is accepted only if it is text the tool really returned."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools.contracts.diagnosis import Evidence
from tools.contracts.tool import ToolResult

MAX_EXCERPT_CHARS = 800
HEAD_LINES = 12  # what :meth:`Ledger.head` shows of a result nothing was cited from


@dataclass(frozen=True)
class Missed:
    """A citation its tool's output does not print (the renderer's wording changed, or the fact is not
    shown there): it is kept here, so a test sees it, rather than quoted by some other lines."""

    evidence_id: str
    tool: str
    needle: str


@dataclass
class LedgerEntry:
    id: str
    result: ToolResult


@dataclass
class Ledger:
    entries: dict[str, LedgerEntry] = field(default_factory=dict)
    _by_call: dict[str, str] = field(default_factory=dict)
    missed: list[Missed] = field(default_factory=list)

    def record(self, result: ToolResult) -> str:
        """Record a tool result (once per distinct tool+args) and return its evidence id."""
        key = call_key(result.tool, result.args)
        if key in self._by_call:
            return self._by_call[key]
        evidence_id = f"e{len(self.entries) + 1}"
        self.entries[evidence_id] = LedgerEntry(evidence_id, result)
        self._by_call[key] = evidence_id
        return evidence_id

    def record_new(self, result: ToolResult) -> str:
        """Record a result under a new id even when the same call was recorded before (a client asked
        again and may see newer data); later lookups of the call find this newest id."""
        evidence_id = f"e{len(self.entries) + 1}"
        self.entries[evidence_id] = LedgerEntry(evidence_id, result)
        self._by_call[call_key(result.tool, result.args)] = evidence_id
        return evidence_id

    def lookup(self, tool: str, args: dict[str, Any]) -> str | None:
        return self._by_call.get(call_key(tool, args))

    def get(self, evidence_id: str) -> ToolResult | None:
        entry = self.entries.get(evidence_id)
        return entry.result if entry else None

    def verify_excerpt(self, evidence_id: str, excerpt: str) -> bool:
        """True when every non-empty line of ``excerpt`` occurs verbatim in the recorded tool text."""
        result = self.get(evidence_id)
        if result is None:
            return False
        lines = [line.strip() for line in excerpt.splitlines() if line.strip()]
        return bool(lines) and all(line in result.text for line in lines)

    def key_lines(self, evidence_id: str) -> list[str]:
        """The lines a tool marks as proving an object's state (``data.key_lines``: k8s_describe's rules,
        selectors, ready counts, times and change annotations): every excerpt of that output quotes them,
        room allowing."""
        result = self.get(evidence_id)
        data = result.data if result is not None else None
        lines = data.get("key_lines") if isinstance(data, dict) else None
        return [line for line in lines if isinstance(line, str)] if isinstance(lines, list) else []

    def printed(self, evidence_id: str, key: str) -> list[str]:
        """The lines of the recorded output that print ``key`` or a narrower key under it (``data.printed``,
        the renderer's promise: ``tools.contracts.printed``), in the output's order; [] when none."""
        result = self.get(evidence_id)
        index = result.data.get("printed") if result is not None and isinstance(result.data, dict) else None
        if not isinstance(index, dict):
            return []
        wanted = {
            line
            for printed, lines in index.items()
            if printed == key or printed.startswith(f"{key}/")
            for line in (lines if isinstance(lines, list) else [])
            if isinstance(line, str)
        }
        return [line for line in result.text.splitlines() if line in wanted]

    def cite(self, evidence_id: str, needles: list[str], context: list[str] | None = None) -> str:
        """The lines of the recorded text that contain any of ``needles`` (verbatim), in the text's order,
        with the ``context`` lines (the tool's own key lines: what proves the object's state) added while
        the excerpt stays within ``MAX_EXCERPT_CHARS``; "" when the text holds neither (never the head of
        the output in their place: see :meth:`miss`)."""
        result = self.get(evidence_id)
        if result is None:
            return ""
        lines = result.text.splitlines()
        picked = [i for i, line in enumerate(lines) if any(n and n in line for n in needles)]
        wanted = set(context or ())
        extra = [i for i, line in enumerate(lines) if line in wanted and i not in picked]
        size = sum(len(lines[i]) + 1 for i in picked)
        for index in extra:
            if size + len(lines[index]) + 1 > MAX_EXCERPT_CHARS:
                continue
            picked.append(index)
            size += len(lines[index]) + 1
        return _bounded("\n".join(dict.fromkeys(lines[i] for i in sorted(set(picked)))))

    def head(self, evidence_id: str) -> str:
        """The first lines of a recorded result: the excerpt of a result cited without a quote (a model
        that named an evidence id only)."""
        result = self.get(evidence_id)
        return _bounded("\n".join(result.text.splitlines()[:HEAD_LINES])) if result is not None else ""

    def miss(self, evidence_id: str, needle: str) -> None:
        """Keep a citation whose text (or printed key) the recorded output does not print."""
        result = self.get(evidence_id)
        self.missed.append(Missed(evidence_id, result.tool if result is not None else "", needle))

    def evidence(self, evidence_id: str, excerpt: str) -> Evidence:
        result = self.entries[evidence_id].result
        return Evidence(
            id=evidence_id, source=result.source, tool=result.tool, args=result.args, excerpt=excerpt
        )

    def __len__(self) -> int:
        return len(self.entries)


def _bounded(excerpt: str) -> str:
    if len(excerpt) <= MAX_EXCERPT_CHARS:
        return excerpt
    cut = excerpt[:MAX_EXCERPT_CHARS]
    return cut[: cut.rfind("\n")] if "\n" in cut else cut


def call_key(tool: str, args: dict[str, Any]) -> str:
    return f"{tool}:{json.dumps(args, sort_keys=True, default=str)}"
