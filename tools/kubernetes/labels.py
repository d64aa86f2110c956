"""LabelSelector objects (matchLabels / matchExpressions) as Kubernetes evaluates them.

Used where the API cannot filter for us: which NetworkPolicies select a pod, which namespaces a
namespaceSelector admits. Where the API can filter (listing pods of a Service), tools send
:func:`to_query` to the server instead.
"""

from __future__ import annotations

from typing import Any


def matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """True when ``labels`` satisfy ``selector``. An empty selector ({}) selects everything, None nothing.

    The one LabelSelector evaluator: NetworkPolicy pod/namespace selectors, PodDisruptionBudget
    selectors. Values are compared as strings (a YAML ``version: 2`` still matches label "2").
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key"), expr.get("operator")
        values = {str(value) for value in expr.get("values") or []}
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def to_query(selector: dict[str, Any] | None) -> str | None:
    """A LabelSelector as a `labelSelector=` query string (None for no selector)."""
    if not selector:
        return None
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), ",".join(expr.get("values") or [])
        terms.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": f"{key}",
                "DoesNotExist": f"!{key}",
            }.get(op or "", "")
        )
    return ",".join(t for t in terms if t) or None


def map_to_query(labels: dict[str, str] | None) -> str | None:
    """A Service-style selector map as a query string."""
    if not labels:
        return None
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
