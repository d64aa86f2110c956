"""A runbook run's target: the object its parameters name, which the answer keeps to.

The answer composer puts a problem about the subject (or its cause chain) among the findings and every
other problem elsewhere, so a targeted runbook must hand the diagnostician its target as the subject
instead of hoping the question's words name it. The target is read from the parameters by their names:
the first object parameter the runbook declares (``workload``, ``service``, ``pvc``, ``node``, ``pod``,
``source``), in the namespace given by ``namespace`` or ``<param>_namespace``. A runbook with only a
namespace is a review of it and has no single target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.diagnose.question import NamedObject
from app.runbooks.model import Runbook

OBJECT_PARAMS = {
    "workload": "Deployment",  # or the kind given by a ``kind`` parameter; the engine finds the real kind
    "source": "Deployment",
    "destination": "Deployment",
    "service": "Service",
    "pvc": "PersistentVolumeClaim",
    "node": "Node",
    "pod": "Pod",
}
CLUSTER_SCOPED = {"Node"}


def runbook_target(runbook: Runbook, params: Mapping[str, Any]) -> NamedObject | None:
    """The object the run is about, or None (no object parameter given)."""
    for param in runbook.params:
        kind = OBJECT_PARAMS.get(param.name)
        value = params.get(param.name)
        if kind is None or not isinstance(value, str) or not value:
            continue
        if kind == "Deployment" and isinstance(params.get("kind"), str) and params["kind"]:
            kind = str(params["kind"])
        if kind in CLUSTER_SCOPED:
            return NamedObject(kind, None, value)
        where = namespace_param(runbook, param.name)
        namespace = params.get(where) if where else None
        if not isinstance(namespace, str) or not namespace:
            continue  # a namespaced object without its namespace cannot be told from its namesakes
        return NamedObject(kind, namespace, value)
    return None


def is_namespace_param(name: str) -> bool:
    return name == "namespace" or name.endswith("_namespace")


def namespace_param(runbook: Runbook, name: str) -> str | None:
    """The parameter that holds the namespace of object parameter ``name``: ``<name>_namespace`` when
    the runbook declares it (traffic-dropped's source and destination), else ``namespace``."""
    for candidate in (f"{name}_namespace", "namespace"):
        if runbook.param(candidate) is not None:
            return candidate
    return None
