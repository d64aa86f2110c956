"""Scenario families: the same snapshots replayed the way real clusters keep them.

A real API server keeps Events for one hour by default (kube-apiserver --event-ttl), so a snapshot or a
support bundle taken later holds the objects' state and few or no Events. ``expire_events`` rewrites a
built snapshot accordingly: every Event (core or events.k8s.io) last seen more than ``older_than`` before
``capturedAt`` is removed; ``older_than=None`` removes them all (the cluster re-captured long after).
Used by the scenario tests and ``bench/accuracy.py`` alike.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from tools.contracts.kube.time import parse_time
from tools.kubernetes.events import event_time

EVENT_TTL = timedelta(hours=1)  # kube-apiserver's default --event-ttl
FAMILIES: dict[str, timedelta | None] = {"expired-events": EVENT_TTL, "no-events": None}


def _is_event(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Event"


def _keep(obj: Any, cutoff: Any) -> bool:
    if not _is_event(obj):
        return True
    if cutoff is None:
        return False
    when = event_time(obj)
    return when is not None and when >= cutoff


def _filter(document: Any, cutoff: Any) -> tuple[Any, int]:
    """The document without the expired Events (lists keep their other items); and how many went."""
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        kept = [item for item in document["items"] if _keep(item, cutoff)]
        return {**document, "items": kept}, len(document["items"]) - len(kept)
    if _keep(document, cutoff):
        return document, 0
    return None, 1


def expire_events(snapshot: Path, older_than: timedelta | None = EVENT_TTL) -> int:
    """Remove the Events a real cluster would no longer hold; returns how many were removed."""
    meta = yaml.safe_load((snapshot / "snapshot.yaml").read_text(encoding="utf-8"))
    captured = parse_time(str(meta["capturedAt"]))
    if captured is None:
        raise ValueError(f"{snapshot}/snapshot.yaml: capturedAt is not an RFC 3339 time")
    cutoff = None if older_than is None else captured - older_than
    removed = 0
    for path in sorted((snapshot / "resources").rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        kept, gone_here = [], 0
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            left, gone = _filter(document, cutoff)
            gone_here += gone
            if left is not None:
                kept.append(left)
        removed += gone_here
        if gone_here:
            path.write_text(yaml.safe_dump_all(kept, sort_keys=False), encoding="utf-8")
    return removed


def _rewrite(snapshot: Path, change: Any) -> None:
    """Apply ``change(obj) -> obj | None`` to every object (list items too) of every resource file."""
    for path in sorted((snapshot / "resources").rglob("*.yaml")):
        documents = []
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and isinstance(document.get("items"), list):
                items = [change(item) for item in document["items"]]
                document = {**document, "items": [item for item in items if item is not None]}
            else:
                document = change(document)
            if document is not None:
                documents.append(document)
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")


def events_v1_only(snapshot: Path) -> None:
    """Every core Event rewritten as the events.k8s.io/v1 object a 1.19+ API server stores: note,
    regarding, reportingController/Instance, eventTime and, for repeats, series (no deprecated fields)."""

    def change(obj: Any) -> Any:
        if not _is_event(obj) or obj.get("apiVersion") != "v1":
            return obj
        source = obj.get("source") or {}
        first, last = obj.get("firstTimestamp"), obj.get("lastTimestamp")
        event = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": obj.get("metadata") or {},
            "eventTime": _micro(first or last),
            "regarding": obj.get("involvedObject") or {},
            "reason": obj.get("reason", ""),
            "note": obj.get("message", ""),
            "type": obj.get("type", "Normal"),
            "action": obj.get("reason", ""),
            "reportingController": obj.get("reportingComponent") or source.get("component", ""),
            "reportingInstance": obj.get("reportingInstance") or source.get("host", ""),
        }
        if int(obj.get("count") or 1) > 1:
            event["series"] = {"count": int(obj["count"]), "lastObservedTime": _micro(last)}
        return event

    _rewrite(snapshot, change)


def _micro(value: Any) -> Any:
    """events.k8s.io/v1 times are MicroTime: RFC 3339 with six fraction digits."""
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else value


def patch_objects(snapshot: Path, kind: str, namespace: str | None, name_prefix: str, change: Any) -> None:
    """``change(obj)`` (in place) on the objects of ``kind`` whose name starts with ``name_prefix``."""

    def apply(obj: Any) -> Any:
        meta = (obj or {}).get("metadata") or {}
        if (
            isinstance(obj, dict)
            and obj.get("kind") == kind
            and (namespace is None or meta.get("namespace") == namespace)
            and str(meta.get("name", "")).startswith(name_prefix)
        ):
            change(obj)
        return obj

    _rewrite(snapshot, apply)


def strip_log_timestamps(snapshot: Path, namespace: str, pod_prefix: str) -> None:
    """Logs as support bundles hold them: the lines only, no `kubectl logs --timestamps` prefix."""
    for path in sorted((snapshot / "logs" / namespace).glob(f"{pod_prefix}*/*.log")):
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("".join(line.split(" ", 1)[-1] + "\n" for line in lines), encoding="utf-8")
