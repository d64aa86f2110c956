"""A HorizontalPodAutoscaler in the autoscaling/v2 shape whichever version the API served it in.

Clusters before 1.23 (and `kubectl get hpa` on them) return autoscaling/v1: one CPU target in
`spec.targetCPUUtilizationPercentage`, the current value in `status.currentCPUUtilizationPercentage`, and
the conditions and other metrics only as JSON strings in annotations. Rules read the v2 shape only."""

from __future__ import annotations

import json
from typing import Any

CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
MAX_ANNOTATION = 64 * 1024  # an annotation is at most 256 KiB in all; conditions are a few hundred bytes


def as_v2(hpa: dict[str, Any]) -> dict[str, Any]:
    """``hpa`` itself when it has the v2 shape, else a v2-shaped copy (the object read is not changed)."""
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    if "metrics" in spec or "conditions" in status:
        return hpa
    annotations = (hpa.get("metadata") or {}).get("annotations") or {}
    target = spec.get("targetCPUUtilizationPercentage")
    current = status.get("currentCPUUtilizationPercentage")
    metrics = [_cpu({"target": {"type": "Utilization", "averageUtilization": target}})] if target else []
    current_metrics = [_cpu({"current": {"averageUtilization": current}})] if current is not None else []
    return {
        **hpa,
        "spec": {**spec, "metrics": metrics},
        "status": {
            **status,
            "conditions": _json_list(annotations.get(CONDITIONS)),
            "currentMetrics": current_metrics or _json_list(annotations.get(CURRENT_METRICS)),
        },
    }


def _cpu(values: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Resource", "resource": {"name": "cpu", **values}}


def _json_list(text: Any) -> list[dict[str, Any]]:
    """An annotation's JSON list of objects; anything else (absent, too long, not JSON) is none."""
    if not isinstance(text, str) or len(text) > MAX_ANNOTATION:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
