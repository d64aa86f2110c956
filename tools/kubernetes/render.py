"""Compact text for a model: ages, pod lines (status from tools.contracts.kube.pod_status), grouped counts,
bounded text.

Every tool writes through :class:`BoundedText`, which keeps whole lines while the token budget lasts and
always ends with what was left out and which argument narrows it; nothing is cut silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tools.budget import count_tokens
from tools.contracts.kube import objects
from tools.contracts.kube.pod_status import pod_ready, pod_restarts, pod_status
from tools.contracts.kube.time import kubectl_age, parse_time, rfc3339
from tools.contracts.printed import printed, printed_key
from tools.contracts.wording import plural

_SAFETY = 30  # tokens kept free for the last-resort "dropped" line


class BoundedText:
    """Lines under a token budget. A section that does not fit says, in place, how many of its items
    were left out and which argument narrows it; the room for that note is set aside before the items."""

    def __init__(self, budget: int) -> None:
        self.budget = max(budget, 120)
        self._lines: list[tuple[str, bool]] = []  # (text, is_note): notes are never dropped
        self.used = 0
        self.dropped = 0
        self.truncated = False

    @property
    def room(self) -> int:
        return self.budget - _SAFETY - self.used

    def add(self, line: str) -> bool:
        """Add one line if it fits; returns False (and marks the text truncated) when it does not."""
        cost = count_tokens(line) + 1
        if cost > self.room:
            self.truncated = True
            return False
        self._lines.append((line, False))
        self.used += cost
        return True

    def add_all(
        self,
        lines: Iterable[str],
        what: str,
        hint: str,
        share: float = 1.0,
        total: int | None = None,
        many: str | None = None,
    ) -> int:
        """Add lines while they fit in `share` of the room left (so later sections keep some); when some
        do not, say how many of `what` (a singular noun; `many` its plural when not regular) were left out
        (of `total`, default: of `lines`) and how to narrow. Returns how many were added."""
        pending = list(lines)
        total = len(pending) if total is None else total
        if not pending:
            self.omit(total, what, hint, many)
            return 0
        note_cost = count_tokens(_omitted(total, what, hint, many)) + 1
        allowance = int(self.room * share)
        spent = 0
        for index, line in enumerate(pending):
            cost = count_tokens(line) + 1
            last = index == total - 1
            if spent + cost + (0 if last else note_cost) > allowance:
                self.omit(total - index, what, hint, many)
                return index
            self._lines.append((line, False))
            self.used += cost
            spent += cost
        self.omit(total - len(pending), what, hint, many)
        return len(pending)

    def omit(self, count: int, what: str, hint: str, many: str | None = None) -> None:
        if count > 0:
            self.note(_omitted(count, what, hint, many))

    def note(self, text: str) -> None:
        """A line that must be shown; as a last resort it makes room by dropping earlier body lines."""
        self._lines.append((text, True))
        self.used += count_tokens(text) + 1
        self.truncated = self.truncated or text.startswith("...")
        while self.room < 0:
            body = [i for i, (_, is_note) in enumerate(self._lines) if not is_note]
            if not body:
                break
            dropped, _ = self._lines.pop(body[-1])
            self.used -= count_tokens(dropped) + 1
            self.dropped += 1
            self.truncated = True

    @property
    def lines(self) -> list[str]:
        return [text for text, _ in self._lines]

    def text(self) -> str:
        tail = (
            [f"... {plural(self.dropped, 'more line')} dropped to stay within the output budget"]
            if self.dropped
            else []
        )
        return "\n".join(self.lines + tail)


def _omitted(count: int, what: str, hint: str, many: str | None = None) -> str:
    return f"... {plural(count, 'more ' + what, many and 'more ' + many)} not shown; {hint}"


# --- time ------------------------------------------------------------------------------------------


# --- pods ------------------------------------------------------------------------------------------


def pod_line(pod: dict[str, Any], now: datetime, with_namespace: bool = False) -> str:
    meta = objects.meta(pod)
    name = f"{meta.get('namespace')}/{meta.get('name')}" if with_namespace else meta.get("name")
    restarts = pod_restarts(pod)
    node = (pod.get("spec") or {}).get("nodeName") or "<unscheduled>"
    parts = [str(name), pod_ready(pod), pod_status(pod), f"restarts={restarts}"]
    parts += [f"age={kubectl_age(meta.get('creationTimestamp'), now)}", f"node={node}"]
    return "  ".join(parts)


# --- grouping --------------------------------------------------------------------------------------


def counted(counter: Counter[str] | dict[str, int], noun: str = "") -> str:
    """'412 Running, 3 CrashLoopBackOff' (largest first; ties by name)."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{count} {key}" for key, count in items)
    return f"{text} {noun}".strip() if noun else text


def ref(obj: dict[str, Any]) -> str:
    """Kind/namespace/name, the way findings and evidence name an object."""
    meta = objects.meta(obj)
    namespace = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind', '?')}/{namespace}{meta.get('name', '?')}"


def created_line(obj: dict[str, Any], now: datetime) -> str | None:
    """'created: 2026-11-20T08:52:00Z (38m ago)'."""
    created = parse_time(objects.meta(obj).get("creationTimestamp"))
    if created is None:
        return None
    return printed(f"  created: {rfc3339(created)} ({kubectl_age(created, now)} ago)", printed_key("created"))


def changed_line(obj: dict[str, Any], now: datetime) -> str | None:
    """'last changed: 2026-11-20T09:10:00Z (20m ago) by kubectl-edit': the newest managedFields entry,
    when the API server kept them (a snapshot capture drops them) and it is newer than the creation."""
    meta = objects.meta(obj)
    created = parse_time(meta.get("creationTimestamp"))
    entries = [
        (moment, entry)
        for entry in meta.get("managedFields") or []
        if (moment := parse_time(entry.get("time"))) is not None and (created is None or moment > created)
    ]
    if not entries:
        return None
    moment, entry = max(entries, key=lambda item: item[0])
    manager = f" by {entry['manager']}" if entry.get("manager") else ""
    return f"  last changed: {rfc3339(moment)} ({kubectl_age(moment, now)} ago){manager}"


def short(text: Any, limit: int = 240) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= limit else value[: limit - 3] + "..."
