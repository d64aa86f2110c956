"""Facts answer per-namespace and per-object lookups from indexes built on first use; the indexes follow the
facts as the gather step adds to them (lists extended or replaced) and keep the facts' order."""

from __future__ import annotations

from datetime import UTC, datetime

from app.diagnose.facts import Facts

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def pod(namespace: str | None, name: str) -> dict:
    return {"kind": "Pod", "metadata": {"namespace": namespace, "name": name}}


def event(namespace: str, kind: str, name: str, reason: str) -> dict:
    return {"reason": reason, "involvedObject": {"kind": kind, "namespace": namespace, "name": name}}


def names(objects) -> list[str]:
    return [o["metadata"]["name"] for o in objects]


def test_one_namespace_in_the_facts_order_and_the_whole_kind_without_one() -> None:
    facts = Facts(now=NOW, objects={"Pod": [pod("a", "p1"), pod("b", "p2"), pod("a", "p3")]})
    assert names(facts.of_kind("Pod", "a")) == ["p1", "p3"]
    assert names(facts.of_kind("Pod", "c")) == []
    assert names(facts.of_kind("Pod")) == ["p1", "p2", "p3"]
    assert facts.find("Pod", "b", "p2") is facts.objects["Pod"][1]
    assert facts.find("Pod", "a", "p2") is None
    assert names(facts.of_kind("Node", "a")) == []


def test_a_namespace_read_later_shows_up() -> None:
    facts = Facts(now=NOW, objects={"Pod": [pod("a", "p1")]})
    assert names(facts.of_kind("Pod", "b")) == []
    facts.objects.setdefault("Pod", []).extend([pod("b", "p2")])  # as _read_namespaces adds a namespace
    assert names(facts.of_kind("Pod", "b")) == ["p2"]
    facts.objects["Pod"] = [o for o in facts.objects["Pod"] if o["metadata"]["namespace"] == "a"]
    assert names(facts.of_kind("Pod", "b")) == []
    assert names(facts.of_kind("Pod", "a")) == ["p1"]


def test_events_of_one_object_follow_the_event_list() -> None:
    facts = Facts(now=NOW, events=[event("a", "Pod", "p1", "BackOff"), event("b", "Pod", "p1", "Failed")])
    assert [e["reason"] for e in facts.events_for("Pod", "a", "p1")] == ["BackOff"]
    assert [e["reason"] for e in facts.events_for("Pod", None, "p1")] == ["BackOff", "Failed"]
    assert facts.events_for("Deployment", "a", "p1") == []
    facts.events.extend([event("a", "Pod", "p1", "Killing")])
    assert [e["reason"] for e in facts.events_for("Pod", "a", "p1")] == ["BackOff", "Killing"]
    facts.events = []
    assert facts.events_for("Pod", "a", "p1") == []
