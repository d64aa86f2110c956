"""Small shared readings of Kubernetes objects for analyzers: owners, readiness, selectors, times.

Pure functions over objects as the API server returns them; the only clock is the ``now`` passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from app.diagnose.facts import Facts
from tools.contracts.diagnosis import ResourceRef
from tools.contracts.kube.objects import labels_of, meta, name_of, namespace_of
from tools.contracts.kube.time import age
from tools.kubernetes.events import event_time  # the one reading of an event's time (re-exported)

RECENT = timedelta(minutes=45)  # evidence older than this, on an object now healthy, is history

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

Lookup = Callable[[str, str | None, str], dict[str, Any] | None]  # (kind, namespace, name) -> object


def ref_of(obj: dict[str, Any], kind: str | None = None) -> ResourceRef:
    return ResourceRef(kind=kind or obj.get("kind", ""), namespace=namespace_of(obj), name=name_of(obj))


# ---- times -------------------------------------------------------------------------------------------


def is_recent(value: Any, now: datetime, window: timedelta = RECENT) -> bool:
    """True when the timestamp is within ``window`` before ``now`` (or slightly after, clock skew)."""
    delta = age(value, now)
    return delta is not None and delta <= window


def event_is_recent(event: dict[str, Any], now: datetime, window: timedelta = RECENT) -> bool:
    moment = event_time(event)
    return moment is not None and now - moment <= window


# ---- pods and owners ---------------------------------------------------------------------------------


def pod_is_ready(pod: dict[str, Any]) -> bool:
    """Running with condition Ready=True (what makes an endpoint ready)."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or meta(pod).get("deletionTimestamp"):
        return False
    return any(
        cond.get("type") == "Ready" and cond.get("status") == "True"
        for cond in status.get("conditions") or []
    )


def pods_in(facts: Facts, namespace: str | None) -> list[dict[str, Any]]:
    return list(facts.of_kind("Pod", namespace))


def pods_on_node(facts: Facts, node: str) -> list[dict[str, Any]]:
    """The pods scheduled on ``node``."""
    return [p for p in facts.of_kind("Pod") if (p.get("spec") or {}).get("nodeName") == node]


def on_unready_node(facts: Facts, pod: dict[str, Any]) -> bool:
    """The pod's node is known and not Ready: whatever the pod's own status says, its kubelet is not
    reporting, so the node is what is wrong (the node controller marks such pods not ready itself)."""
    name = (pod.get("spec") or {}).get("nodeName")
    nodes = facts.derived.get("nodes by name")
    if nodes is None:
        nodes = facts.derived["nodes by name"] = {meta(n).get("name"): n for n in facts.of_kind("Node")}
    node = nodes.get(name) if name else None
    return node is not None and (condition(node, "Ready") or {}).get("status") != "True"


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The ownerReference with controller=true (or the first one)."""
    owners = meta(obj).get("ownerReferences") or []
    for owner in owners:
        if owner.get("controller"):
            return owner
    return owners[0] if owners else None


def workload_of(facts: Facts | None, pod: dict[str, Any], find: Lookup | None = None) -> ResourceRef:
    """The object that owns a pod's spec: Pod → ReplicaSet → Deployment, Job → CronJob, or the bare Pod.
    ``find`` looks objects up (default ``facts.find``; analyzers pass an indexed one)."""
    lookup = find or (facts.find if facts is not None else lambda kind, namespace, name: None)
    namespace = namespace_of(pod)
    kind, name = "Pod", name_of(pod)
    current: dict[str, Any] | None = pod
    for _ in range(3):
        owner = controller_of(current) if current is not None else None
        if not owner:
            break
        kind, name = owner.get("kind", ""), owner.get("name", "")
        if kind not in ("ReplicaSet", "Job"):
            break
        current = lookup(kind, namespace, name)
        if current is None:
            # No ReplicaSet object read: a Deployment's ReplicaSet is named <deploy>-<pod-template-hash>.
            template_hash = labels_of(pod).get("pod-template-hash")
            if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
                kind, name = "Deployment", name[: -len(template_hash) - 1]
            break
    return ResourceRef(kind=kind, namespace=namespace, name=name)


def containers_of(pod: dict[str, Any]) -> Iterable[dict[str, Any]]:
    spec = pod.get("spec") or {}
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The status condition of the given type, if present."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


_CONTROLLER_LABELS = (
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-generation",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
    "controller-uid",
    "job-name",
)


def identity_labels(labels: dict[str, str]) -> dict[str, str]:
    """Labels without the ones controllers add per revision or per pod (what people select on)."""
    return {key: value for key, value in labels.items() if key not in _CONTROLLER_LABELS}
