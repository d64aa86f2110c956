"""Cluster facts: what the gather step read through the tools, in the sources' own upstream formats.

Analyzers are pure functions of ``Facts``. Keeping the facts in upstream shapes (Kubernetes objects as the
API returns them, Prometheus result series, Hubble flows in protobuf-JSON) keeps analyzers independent of
how tools render text, and makes table-driven tests easy to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from tools.snapshot.store import events_v1_to_core


@dataclass(frozen=True)
class FactRef:
    """Where a fact came from, so a finding can cite the tool output that shows it.

    kind: "object" (key = (Kind, namespace, name)), "events" (key = (namespace, involved-object name)),
    "log" (key = (namespace, pod, container, "previous"|"current")), "metric" (key = (check name,), or
    (check name, namespace, workload) for one workload's series),
    "flows" (key = (aggregation name,)).
    """

    kind: str
    key: tuple[str, ...]


T = TypeVar("T")

# (the list indexed, its length then, its items by key)
_Index = tuple[list[dict[str, Any]], int, dict[Any, list[dict[str, Any]]]]


@dataclass
class Facts:
    now: datetime
    cluster: str = "cluster"
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by Kind, e.g. "Pod"
    events: list[dict[str, Any]] = field(default_factory=list)  # v1 Events
    # (namespace, pod, container, previous) -> log text
    logs: dict[tuple[str, str, str, bool], str] = field(default_factory=dict)
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # check -> [{"metric", "values"}]
    flows: list[dict[str, Any]] = field(default_factory=list)  # Flow objects (unwrapped), notable ones only
    unavailable: dict[str, str] = field(default_factory=dict)  # source -> reason it could not be read
    unread: set[str] = field(default_factory=set)  # kinds some namespace's list of failed (absence unproven)
    # Lookups analyzers make hundreds of times, built on first use: events by (involved kind, name), each
    # kind's objects by namespace.
    _events_by_object: _Index | None = field(default=None, init=False, repr=False, compare=False)
    _by_namespace: dict[str, _Index] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Indexes other diagnose modules build over these facts (pods by label, objects by key): kept with the
    # facts, so they go when the facts go (a module-level cache would hold the last review's pods).
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.events = core_events(self.events)

    def known(self, rule: str, obj: dict[str, Any], compute: Callable[[], T]) -> T:
        """What ``rule`` says of ``obj``, computed once per question: several analyzers ask whether each
        of 19,000 pods is healthy, or which pods each of 1,900 Services selects. Kept by identity, so an
        object read again (another dict) is asked afresh."""
        known = self.derived.setdefault(rule, {})
        hit = known.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = compute()
        known[id(obj)] = (obj, value)
        return value

    def of_kind(self, kind: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        if namespace is None:
            yield from self.objects.get(kind, [])
            return
        objects = self.objects.get(kind, [])
        index = _indexed(
            self._by_namespace.get(kind), objects, lambda obj: obj.get("metadata", {}).get("namespace")
        )
        self._by_namespace[kind] = index
        yield from index[2].get(namespace, [])

    def find(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for obj in self.of_kind(kind, namespace):
            if obj.get("metadata", {}).get("name") == name:
                return obj
        return None

    def events_for(self, kind: str, namespace: str | None, name: str) -> list[dict[str, Any]]:
        return [
            event
            for event in self._events_about(kind, name)
            if namespace is None or event.get("involvedObject", {}).get("namespace") == namespace
        ]

    def _events_about(self, kind: str, name: str) -> list[dict[str, Any]]:
        def involved(event: dict[str, Any]) -> tuple[Any, Any]:
            about = event.get("involvedObject", {})
            return (about.get("kind"), about.get("name"))

        self._events_by_object = _indexed(self._events_by_object, self.events, involved)
        return self._events_by_object[2].get((kind, name), [])


def _indexed(
    cached: _Index | None, items: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> _Index:
    """``cached`` while it indexes this very list at its current length (facts are only added to while
    they are gathered, and lists replaced), else a new index, in the list's order."""
    if cached is not None and cached[0] is items and cached[1] == len(items):
        return cached
    by_key: dict[Any, list[dict[str, Any]]] = {}
    for item in items:
        by_key.setdefault(key(item), []).append(item)
    return (items, len(items), by_key)


def core_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as analyzers read them: events.k8s.io/v1 ones (note, regarding, reportingController,
    series) in the core v1 shape (message, involvedObject, source, count, lastTimestamp)."""
    return [
        events_v1_to_core(event) if str(event.get("apiVersion", "")).startswith("events.k8s.io/") else event
        for event in events
    ]
