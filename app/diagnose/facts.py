"""Cluster facts: what the gather step read through the tools, in the sources' own upstream formats.

Analyzers are pure functions of ``Facts``. Keeping the facts in upstream shapes (Kubernetes objects as the
API returns them, Prometheus result series, Hubble flows in protobuf-JSON) keeps analyzers independent of
how tools render text, and makes table-driven tests easy to write.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

    def __post_init__(self) -> None:
        self.events = core_events(self.events)

    def of_kind(self, kind: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        for obj in self.objects.get(kind, []):
            if namespace is None or obj.get("metadata", {}).get("namespace") == namespace:
                yield obj

    def find(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for obj in self.of_kind(kind, namespace):
            if obj.get("metadata", {}).get("name") == name:
                return obj
        return None

    def events_for(self, kind: str, namespace: str | None, name: str) -> list[dict[str, Any]]:
        return [
            event
            for event in self.events
            if event.get("involvedObject", {}).get("kind") == kind
            and event.get("involvedObject", {}).get("name") == name
            and (namespace is None or event.get("involvedObject", {}).get("namespace") == namespace)
        ]


def core_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as analyzers read them: events.k8s.io/v1 ones (note, regarding, reportingController,
    series) in the core v1 shape (message, involvedObject, source, count, lastTimestamp)."""
    return [
        events_v1_to_core(event) if str(event.get("apiVersion", "")).startswith("events.k8s.io/") else event
        for event in events
    ]
