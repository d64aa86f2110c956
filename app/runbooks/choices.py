"""The names a runbook parameter can take on this cluster, for the page's pickers: the namespaces for a
namespace parameter, and for an object parameter (``workload``, ``service``, ``pvc``, ``node``, ...) the
objects of its kind in the namespace chosen for it. Read-only lists through the session's Kubernetes
access, bounded; a list that cannot be read gives None and the page falls back to typing the name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.runbooks.model import Runbook
from app.runbooks.target import OBJECT_PARAMS, is_namespace_param, namespace_param
from tools.contracts.kube.objects import meta
from tools.contracts.tool import ToolError

PICK_LIMIT = 500  # names per kind: a picker is for choosing, not for listing a big cluster
WORKLOAD_PICKS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
CLUSTER_KINDS = ("Node",)


def picked_kinds(name: str) -> tuple[str, ...]:
    """The kinds whose names parameter ``name`` takes (none: it is not a name of an object)."""
    kind = OBJECT_PARAMS.get(name)
    if kind is None:
        return ()
    return WORKLOAD_PICKS if kind == "Deployment" else (kind,)


def param_choices(kube: Any, runbook: Runbook, name: str, values: Mapping[str, Any]) -> list[str] | None:
    """Sorted names for parameter ``name`` given the values chosen so far, [] when its namespace is not
    chosen yet, None when it takes no object name, has no namespace parameter, or the cluster cannot list
    them."""
    try:
        if is_namespace_param(name):
            return _names(kube, "Namespace", None) or list(getattr(kube, "namespaces", ()))
        kinds = picked_kinds(name)
        if not kinds:
            return None
        if kinds[0] in CLUSTER_KINDS:
            return _names(kube, kinds[0], None)
        where = namespace_param(runbook, name)
        if where is None:
            return None  # the runbook fixes the namespace in its steps: the name is typed
        namespace = values.get(where)
        if not isinstance(namespace, str) or not namespace:
            return []
        return sorted({n for kind in kinds for n in _names(kube, kind, namespace)})
    except ToolError:
        return None


def _names(kube: Any, kind: str, namespace: str | None) -> list[str]:
    objects = kube.list_objects(kind, namespace, limit=PICK_LIMIT)
    return sorted({str(meta(o).get("name")) for o in objects if isinstance(o, dict)} - {"None"})
