"""Alertmanager webhook payloads (version 4) shaped like the ones Alertmanager 0.25 sends for the
kube-prometheus rules, for tests and the bench; and a client that posts them to ``kubewhy alerts``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

NO_END = "0001-01-01T00:00:00Z"  # what Alertmanager sends as endsAt for a firing alert
SCRAPE = {  # the labels a kube-state-metrics scrape adds in kube-prometheus
    "endpoint": "http",
    "instance": "10.0.3.7:8080",
    "job": "kube-state-metrics",
    "prometheus": "monitoring/k8s",
    "service": "kube-prometheus-stack-kube-state-metrics",
}


def fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def alert(
    name: str,
    status: str = "firing",
    *,
    summary: str = "",
    starts_at: str = "2026-11-20T09:12:00Z",
    ends_at: str = NO_END,
    scrape: bool = True,
    **labels: str,
) -> dict[str, Any]:
    full = {"alertname": name, "severity": "warning", **(SCRAPE if scrape else {}), **labels}
    return {
        "status": status,
        "labels": full,
        "annotations": {"summary": summary or f"{name} fired.", "description": f"{name} on {labels}"},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.monitoring:9090/graph?g0.expr=up&g0.tab=1",
        "fingerprint": fingerprint(full),
    }


def notification(
    alerts: list[dict[str, Any]],
    *,
    group_by: tuple[str, ...] = ("alertname", "namespace"),
    receiver: str = "kubewhy",
    status: str | None = None,
    truncated: int = 0,
) -> dict[str, Any]:
    """The webhook body for one group: groupKey, groupLabels and commonLabels as Alertmanager builds them."""
    first = alerts[0]["labels"]
    group_labels = {key: first[key] for key in group_by if key in first}
    common = {k: v for k, v in first.items() if all(a["labels"].get(k) == v for a in alerts)}
    common_annotations = {
        k: v for k, v in alerts[0]["annotations"].items() if all(a["annotations"].get(k) == v for a in alerts)
    }
    group_key = "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items())) + "}"
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "receiver": receiver,
        "status": status or ("firing" if firing else "resolved"),
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common,
        "commonAnnotations": common_annotations,
        "externalURL": "http://alertmanager.monitoring:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": truncated,
    }


def resolved(payload: dict[str, Any], at: str = "2026-11-20T10:05:00Z") -> dict[str, Any]:
    """The same group once every alert has ended."""
    done = json.loads(json.dumps(payload))
    for item in done["alerts"]:
        item["status"], item["endsAt"] = "resolved", at
    done["status"] = "resolved"
    return done


_CLIENT = httpx.Client(trust_env=False)  # one client: a new one per call costs ~70 ms (its TLS context)


def send(url: str, payload: Any, token: str | None = None, **kwargs: Any) -> httpx.Response:
    """POST a payload (a dict as JSON, bytes as they are) to the receiver."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return _CLIENT.post(url, content=body, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)
