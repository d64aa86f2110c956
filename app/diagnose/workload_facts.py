"""Pod, container, event and citation readings shared by the workload analyzers (crash, OOM, probes, ...).

Builds on ``k8s_facts`` (owners, times, selectors). One place decides what "this pod is healthy now" and
"this evidence is history" mean, so every analyzer applies the same stale-evidence rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Cite
from app.diagnose.facts import FactRef, Facts
from app.diagnose.k8s_facts import (
    RECENT,
    condition,
    event_is_recent,
    event_time,
    is_recent,
    pod_is_ready,
    workload_of,
)
from tools.contracts.diagnosis import NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of
from tools.kubernetes.events import event_message as printed_message

NEEDLE_LIMIT = 100  # long messages are cited by their opening, which any rendering keeps verbatim

RefKey = tuple[str, str, str]


# --- citations ----------------------------------------------------------------------------------------


def needle(text: str, limit: int = NEEDLE_LIMIT) -> str:
    """A verbatim, citeable piece of ``text``: its first non-empty line, trimmed, cut to ``limit`` chars."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:limit].rstrip()
    return ""


def object_fact(kind: str, namespace: str | None, name: str) -> FactRef:
    return FactRef("object", (kind, namespace or "", name))


def cite_object(
    obj: dict[str, Any], text: str | None = None, kind: str | None = None, *, key: str | None = None
) -> Cite:
    """Cite an object's tool output by the line that prints ``key`` (``tools.contracts.printed``), else
    by ``text`` (default: the object's name)."""
    kind = kind or obj.get("kind", "")
    fact = object_fact(kind, namespace_of(obj), name_of(obj))
    return Cite(fact, key=key) if key else Cite(fact, needle(text or name_of(obj)))


def cite_ref(ref: ResourceRef, text: str | None = None, *, key: str | None = None) -> Cite:
    fact = object_fact(ref.kind, ref.namespace, ref.name)
    return Cite(fact, key=key) if key else Cite(fact, needle(text or ref.name))


def cite_event(event: dict[str, Any]) -> Cite:
    """The event's message as the events renderer prints it (UIDs dropped, repeated quotes once)."""
    involved = event.get("involvedObject") or {}
    key = (involved.get("namespace") or "", involved.get("name", ""))
    return Cite(FactRef("events", key), needle(printed_message(event)))


def cite_log(namespace: str, pod: str, container: str, previous: bool, line: str) -> Cite:
    key = (namespace, pod, container, "previous" if previous else "current")
    return Cite(FactRef("log", key), needle(line, 160))


def cite_metric(name: str, text: str) -> Cite:
    return Cite(FactRef("metric", (name,)), needle(text))


def cite_metric_of(name: str, namespace: str, workload: str, service: str) -> Cite:
    """A metric of one Service, read for its own namespace and workload (not the finding's): the line of
    its series in the check's output."""
    return Cite(FactRef("metric", (name, namespace, workload)), f'service="{service}"')


def key_of(ref: ResourceRef) -> RefKey:
    return (ref.kind, ref.namespace or "", ref.name)


# --- events -------------------------------------------------------------------------------------------


def event_message(event: dict[str, Any]) -> str:
    return event.get("message") or event.get("note") or ""


def events_about(
    facts: Facts,
    kind: str,
    namespace: str | None,
    name: str,
    reasons: Iterable[str] | None = None,
    recent_only: bool = True,
    window: timedelta = RECENT,
) -> list[dict[str, Any]]:
    """Events about one object (optionally only some reasons, only recent ones), newest first."""
    wanted = set(reasons) if reasons is not None else None
    found = [
        event
        for event in facts.events_for(kind, namespace, name)
        if (wanted is None or event.get("reason") in wanted)
        and (not recent_only or event_is_recent(event, facts.now, window))
    ]
    return sorted(found, key=lambda event: event_time(event) or facts.now, reverse=True)


def recent_events(
    facts: Facts, reasons: Iterable[str], kind: str | None = None, window: timedelta = RECENT
) -> list[dict[str, Any]]:
    """Every recent event with one of ``reasons`` (optionally about objects of ``kind``), newest first."""
    wanted = set(reasons)
    found = [
        event
        for event in facts.events
        if event.get("reason") in wanted
        and (kind is None or (event.get("involvedObject") or {}).get("kind") == kind)
        and event_is_recent(event, facts.now, window)
    ]
    return sorted(found, key=lambda event: event_time(event) or facts.now, reverse=True)


# --- pods and containers ------------------------------------------------------------------------------


def container_statuses(pod: dict[str, Any], init: bool | None = None) -> list[dict[str, Any]]:
    """Container statuses: regular (init=False), init (init=True) or both, init first (None)."""
    status = pod.get("status") or {}
    inits = status.get("initContainerStatuses") or []
    regular = status.get("containerStatuses") or []
    if init is True:
        return list(inits)
    if init is False:
        return list(regular)
    return inits + regular if inits else list(regular)


def container_spec(pod: dict[str, Any], name: str) -> dict[str, Any] | None:
    spec = pod.get("spec") or {}
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if container.get("name") == name:
            return container
    return None


def is_init_container(pod: dict[str, Any], name: str) -> bool:
    return any(c.get("name") == name for c in (pod.get("spec") or {}).get("initContainers") or [])


def waiting(status: dict[str, Any]) -> dict[str, Any]:
    return (status.get("state") or {}).get("waiting") or {}


def last_terminated(status: dict[str, Any]) -> dict[str, Any]:
    return (status.get("lastState") or {}).get("terminated") or {}


def current_terminated(status: dict[str, Any]) -> dict[str, Any]:
    return (status.get("state") or {}).get("terminated") or {}


def restarted_recently(facts: Facts, status: dict[str, Any], window: timedelta = RECENT) -> bool:
    """The container's previous instance ended within ``window`` (a restart that is not history)."""
    terminated = last_terminated(status)
    if not terminated:
        return False
    when = terminated.get("finishedAt") or terminated.get("startedAt")
    return when is None or is_recent(when, facts.now, window)


def pod_healthy(facts: Facts, pod: dict[str, Any], window: timedelta = RECENT) -> bool:
    """Running and Ready (or Succeeded), nothing waiting, no restart within ``window``. Known once per
    pod and question for the usual window: several analyzers ask it of every one of 19,000 pods."""
    if window != RECENT:
        return _pod_healthy(facts, pod, window)
    return facts.known("pod healthy", pod, lambda: _pod_healthy(facts, pod, window))


def _pod_healthy(facts: Facts, pod: dict[str, Any], window: timedelta) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return True
    if phase != "Running" or not pod_is_ready(pod):
        return False
    for status in container_statuses(pod, init=False):
        if waiting(status) or restarted_recently(facts, status, window):
            return False
    return True


def find(facts: Facts, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
    """``facts.find`` through an index built once per Facts (analyzers look up owners for many pods)."""
    index = facts.derived.get("objects by key")
    if index is None:
        index = {}
        for obj_kind, objects in facts.objects.items():
            for obj in objects:
                index.setdefault((obj_kind, namespace_of(obj) or "", name_of(obj)), obj)
        facts.derived["objects by key"] = index
    return index.get((kind, namespace or "", name))


def owner_workload(facts: Facts, pod: dict[str, Any]) -> ResourceRef:
    """``k8s_facts.workload_of`` with indexed lookups (analyzers resolve owners for many pods)."""
    return workload_of(facts, pod, lambda kind, namespace, name: find(facts, kind, namespace, name))


def pods_of(facts: Facts, workload: ResourceRef) -> list[dict[str, Any]]:
    """The pods whose owner chain ends at ``workload``."""
    if workload.kind == "Pod":
        pod = find(facts, "Pod", workload.namespace, workload.name)
        return [pod] if pod is not None else []
    return [
        pod
        for pod in facts.of_kind("Pod", workload.namespace)
        if key_of(owner_workload(facts, pod)) == key_of(workload)
    ]


def ready_count(facts: Facts, workload: ResourceRef) -> tuple[int, int]:
    """(ready pods, wanted pods) of a workload: from its status when it has one, else from its pods."""
    obj = find(facts, workload.kind, workload.namespace, workload.name) if workload.kind != "Pod" else None
    status = (obj or {}).get("status") or {}
    if workload.kind == "DaemonSet" and obj is not None:
        return int(status.get("numberReady") or 0), int(status.get("desiredNumberScheduled") or 0)
    if obj is not None and ("readyReplicas" in status or "availableReplicas" in status):
        wanted = int((obj.get("spec") or {}).get("replicas", 1) or 0)
        return int(status.get("readyReplicas", status.get("availableReplicas")) or 0), wanted
    pods = pods_of(facts, workload)
    return sum(1 for pod in pods if pod_is_ready(pod)), len(pods)


def outage_severity(facts: Facts, workload: ResourceRef) -> int:
    """3 when no pod of the workload is ready (outage), else 2 (degraded)."""
    ready, _ = ready_count(facts, workload)
    return 3 if ready == 0 else 2


def group_by_workload(facts: Facts, pods: Iterable[dict[str, Any]]) -> dict[RefKey, list[dict[str, Any]]]:
    """Pods grouped by their workload, in a stable order (one finding per workload, not per pod)."""
    groups: dict[RefKey, list[dict[str, Any]]] = {}
    for pod in sorted(pods, key=lambda p: (namespace_of(p) or "", name_of(p))):
        groups.setdefault(key_of(owner_workload(facts, pod)), []).append(pod)
    return groups


def ref_from_key(key: RefKey) -> ResourceRef:
    return ResourceRef(kind=key[0], namespace=key[1] or None, name=key[2])


def pod_key(pod: dict[str, Any]) -> tuple[str, str]:
    """(namespace, name): how a pod is told apart. Its name alone is not enough; one StatefulSet's db-0
    in staging and in prod are two pods."""
    return (namespace_of(pod) or "", name_of(pod))


def pod_ref(pod: dict[str, Any]) -> ResourceRef:
    return ResourceRef(kind="Pod", namespace=namespace_of(pod), name=name_of(pod))


def rollout_stuck_cite(facts: Facts, workload: ResourceRef) -> Cite | None:
    """When ``workload`` is a Deployment whose rollout exceeded its deadline, a citation of that condition."""
    if workload.kind != "Deployment":
        return None
    deployment = find(facts, "Deployment", workload.namespace, workload.name)
    progressing = condition(deployment, "Progressing") if deployment else None
    if deployment and progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        return cite_object(deployment, progressing.get("message") or "ProgressDeadlineExceeded", "Deployment")
    return None


def pod_volume_claims(pod: dict[str, Any]) -> dict[str, str]:
    """Volume name -> PVC name for the pod's persistentVolumeClaim volumes."""
    claims = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            claims[volume.get("name", "")] = claim
    return claims


# --- next steps ---------------------------------------------------------------------------------------


def kubectl(ref: ResourceRef, verb: str) -> str:
    scope = f"-n {ref.namespace} " if ref.namespace else ""
    return f"kubectl {scope}{verb} {ref.kind.lower()} {ref.name}"


def describe_step(ref: ResourceRef, description: str | None = None) -> NextStep:
    return NextStep(description=description or f"Look at {ref}", command=kubectl(ref, "describe"))


def edit_step(ref: ResourceRef, description: str) -> NextStep:
    return NextStep(description=description, command=kubectl(ref, "edit"))


def logs_step(namespace: str, pod: str, container: str, previous: bool = True) -> NextStep:
    flag = " --previous" if previous else ""
    return NextStep(
        description=f"Read the {'previous' if previous else 'current'} log of container {container}",
        command=f"kubectl -n {namespace} logs {pod} -c {container}{flag} --tail=50",
    )


def recent_events_by_object(
    facts: Facts, reasons: Iterable[str], kind: str = "Pod", window: timedelta = RECENT
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Recent events with ``reasons`` about objects of ``kind``, indexed by (namespace, name), newest first.

    One pass over the events, so analyzers that look at every pod stay linear on large clusters."""
    index: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in recent_events(facts, reasons, kind, window):
        involved = event.get("involvedObject") or {}
        index.setdefault((involved.get("namespace") or "", involved.get("name", "")), []).append(event)
    return index
