"""Events: fetch with server-side field selectors, order newest first, render one line each."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from tools.budget import count_tokens
from tools.contracts.kube.objects import meta
from tools.contracts.kube.time import kubectl_age, parse_time
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.render import BoundedText, counted, short


def event_time(event: dict[str, Any]) -> datetime | None:
    """When an event last happened, whichever of the v1 / events.k8s.io fields carries it."""
    series = event.get("series") or {}
    for value in (
        event.get("lastTimestamp"),
        series.get("lastObservedTime"),
        event.get("eventTime"),
        event.get("deprecatedLastTimestamp"),
        event.get("firstTimestamp"),
        meta(event).get("creationTimestamp"),
    ):
        when = parse_time(value)
        if when is not None:
            return when
    return None


def involved(event: dict[str, Any]) -> dict[str, Any]:
    return event.get("involvedObject") or event.get("regarding") or {}


def event_count(event: dict[str, Any]) -> int:
    series = event.get("series") or {}
    return int(event.get("count") or series.get("count") or event.get("deprecatedCount") or 1)


_OBJECT_UID = re.compile(r"\([0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\)")


_QUOTED = re.compile(r'"([^"]{12,})"')


def _once(message: str) -> str:
    """Each long quoted string once: the kubelet wraps a pull error in three layers that each quote the
    image again, and the repeats pushed the decisive tail ("not found", "unauthorized") past the cut."""
    seen: set[str] = set()

    def first_time(match: re.Match[str]) -> str:
        if match.group(1) in seen:
            return "(same)"
        seen.add(match.group(1))
        return match.group(0)

    return _QUOTED.sub(first_time, message)


def event_message(event: dict[str, Any]) -> str:
    """The message, shortened, without the object UIDs the kubelet appends ("pod web-1_shop(<uid>)"):
    the involved object is named beside it, and a UID is some twenty tokens that decide nothing."""
    message = _OBJECT_UID.sub("", str(event.get("message") or event.get("note") or ""))
    return short(_once(message), 300)


def event_line(event: dict[str, Any], now: datetime, with_object: bool = True) -> str:
    obj = involved(event)
    count = event_count(event)
    when = event_time(event)
    parts = [
        kubectl_age(when.isoformat() if when else None, now),
        event.get("type") or "Normal",
        event.get("reason") or "?",
    ]
    if with_object:
        parts.append(f"{obj.get('kind', '?')}/{obj.get('name', '?')}")
    head = "  ".join(parts) + (f" (x{count})" if count > 1 else "")
    return f"{head}: {event_message(event)}"


def fetch_events(
    kube: KubeAccess,
    namespace: str | None,
    kind: str | None = None,
    name: str | None = None,
    event_type: str | None = None,
    reason: str | None = None,
    since: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Events matching every given filter; the server filters what it can, we re-check the rest."""
    fields = []
    if name:
        fields.append(f"involvedObject.name={name}")
    if kind:
        fields.append(f"involvedObject.kind={kind}")
    if event_type:
        fields.append(f"type={event_type}")
    if reason:
        fields.append(f"reason={reason}")
    for event in kube.iter_objects("events", namespace, field_selector=",".join(fields) or None):
        obj = involved(event)
        if name and obj.get("name") != name:
            continue
        if kind and str(obj.get("kind", "")).lower() != kind.lower():
            continue
        if event_type and str(event.get("type", "")).lower() != event_type.lower():
            continue
        if reason and str(event.get("reason", "")).lower() != reason.lower():
            continue
        if since is not None:
            when = event_time(event)
            if when is not None and when < since:
                continue
        yield event


def related_events(
    kube: KubeAccess, namespace: str | None, objects: Iterable[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Events about any of (kind, name): one selector query each for a few objects, one namespace scan
    for many."""
    wanted = set(objects)
    if not wanted:
        return []
    if len(wanted) <= 4:
        found: list[dict[str, Any]] = []
        for kind, name in sorted(wanted):
            found += fetch_events(kube, namespace, kind=kind, name=name)
        return found
    return [
        e
        for e in kube.iter_objects("events", namespace)
        if (involved(e).get("kind"), involved(e).get("name")) in wanted
    ]


def newest_first(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(event: dict[str, Any]) -> tuple[float, str]:
        when = event_time(event)
        return (when.timestamp() if when else 0.0, str(event.get("reason")))

    return sorted(events, key=key, reverse=True)


ROUTINE_REASONS = frozenset({"Scheduled", "Pulling", "Pulled", "Created", "Started", "SuccessfulCreate"})
"""Normal events every pod start goes through (scheduler, kubelet, ReplicaSet controller). How often they
happened is all they add, so they are counted by reason instead of printed; the step that fails is a
Warning (or a Normal BackOff, Killing, ScalingReplicaSet...) and is shown."""


def is_routine(event: dict[str, Any]) -> bool:
    return (event.get("type") or "Normal") == "Normal" and event.get("reason") in ROUTINE_REASONS


def routine_line(events: list[dict[str, Any]]) -> str:
    """'6 routine Normal: Created x10, Started x10, Scheduled' (occurrences summed per reason)."""
    times: Counter[str] = Counter()
    for event in events:
        times[str(event.get("reason"))] += event_count(event)
    ordered = sorted(times.items(), key=lambda kv: (-kv[1], kv[0]))
    counts = ", ".join(reason + (f" x{n}" if n > 1 else "") for reason, n in ordered)
    return f"  {len(events)} routine Normal: {counts}; k8s_events reason= lists them"


def add_events(
    out: BoundedText,
    events: list[dict[str, Any]],
    now: datetime,
    hint: str,
    with_object: bool = True,
    fold_routine: bool = True,
    title: str = "Events",
) -> None:
    """The routine events (:data:`ROUTINE_REASONS`) counted by reason, unless ``fold_routine`` is off (the
    caller asked for a type or reason), then the others, newest first, as many as fit. When some do not fit,
    the shown ones are counted by type and reason too (when all fit, the lines say it and the counts would
    only be paid for twice). ``title`` starts the head line ("Events matching namespace=shop")."""
    if not events:
        out.add(f"{title}: <none>")
        return
    ordered = newest_first(events)
    routine = [e for e in ordered if is_routine(e)] if fold_routine else []
    if len(routine) < 2:
        routine = []  # one line costs no more than its count
    shown = [e for e in ordered if not is_routine(e)] if routine else ordered
    lines = [f"  {event_line(e, now, with_object)}" for e in shown]
    head = f"{title} ({len(ordered)}, newest first"
    if sum(count_tokens(line) + 1 for line in lines) + count_tokens(head) + 2 > out.room:
        by_reason = Counter(f"{e.get('type', 'Normal')} {e.get('reason', '?')}" for e in shown)
        head += f"; by type and reason: {counted(by_reason)}"
    out.add(f"{head}):")
    if routine:
        out.add(routine_line(routine))
    out.add_all(lines, "event", hint)


def event_dict(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An event as structured data for the diagnostician and the page."""
    obj = involved(event)
    when = event_time(event)
    return {
        "namespace": meta(event).get("namespace"),
        "type": event.get("type"),
        "reason": event.get("reason"),
        "object": {"kind": obj.get("kind"), "name": obj.get("name"), "namespace": obj.get("namespace")},
        "message": event.get("message") or event.get("note"),
        "count": event_count(event),
        "last_seen": when.isoformat() if when else None,
        "age": kubectl_age(when.isoformat() if when else None, now),
    }
