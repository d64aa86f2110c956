"""VolumeFull: a volume or the pod's ephemeral storage is out of space.

Evidence: recent log lines `No space left on device` / `[Errno 28]` / ENOSPC (the culprit is the PVC the
container writes to, else the workload for emptyDir/container storage), and evictions for exceeding an
ephemeral-storage limit (`Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.`,
`Usage of EmptyDir volume "cache" exceeds the limit "1Gi".`). Evictions because the node itself is low on
ephemeral-storage are node pressure, not this.
"""

from __future__ import annotations

from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import RECENT, is_recent
from app.diagnose.log_shapes import find_shapes, shape_is_recent
from app.diagnose.state_facts import LOCAL_LIMIT
from app.diagnose.workload_facts import (
    cite_event,
    cite_log,
    cite_object,
    container_spec,
    container_statuses,
    event_message,
    find,
    key_of,
    kubectl,
    outage_severity,
    owner_workload,
    pod_ref,
    recent_events_by_object,
    restarted_recently,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for (namespace, pod_name, container, previous), text in sorted(facts.logs.items()):
        pod = find(facts, "Pod", namespace, pod_name)
        if pod is None:
            continue
        shapes = [s for s in find_shapes(text, ("no_space",)) if shape_is_recent(s, facts.now, RECENT)]
        if not shapes or (
            previous and not _restarted_recently(facts, pod, container) and not shapes[-1].timestamp
        ):
            continue
        line = shapes[-1].line
        culprit = _claim_written(pod, container, line) or owner_workload(facts, pod)
        if key_of(culprit) in candidates:
            candidates[key_of(culprit)].affected.append(pod_ref(pod))
            continue
        candidates[key_of(culprit)] = _log_candidate(facts, pod, container, previous, line, culprit)
    evictions = recent_events_by_object(facts, {"Evicted"})
    for pod in facts.of_kind("Pod"):
        events = evictions.get((namespace_of(pod) or "", name_of(pod)), [])
        if not events and (pod.get("status") or {}).get("reason") != "Evicted":
            continue
        candidate = _eviction_candidate(facts, pod, events)
        if candidate and key_of(candidate.resource) not in candidates:
            candidates[key_of(candidate.resource)] = candidate
        elif candidate:
            candidates[key_of(candidate.resource)].affected.append(pod_ref(pod))
    return list(candidates.values())


def _restarted_recently(facts: Facts, pod: dict[str, Any], container: str) -> bool:
    return any(
        restarted_recently(facts, status)
        for status in container_statuses(pod)
        if status.get("name") == container
    )


def _claim_written(pod: dict[str, Any], container: str, line: str) -> ResourceRef | None:
    """The PVC behind the mount the log line names (or the container's only PVC mount)."""
    claims = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            claims[volume.get("name")] = claim
    mounts = [
        m for m in (container_spec(pod, container) or {}).get("volumeMounts") or [] if m.get("name") in claims
    ]
    if not mounts:
        return None
    named = [m for m in mounts if m.get("mountPath") and m["mountPath"] in line]
    chosen = (
        max(named, key=lambda m: len(m["mountPath"])) if named else (mounts[0] if len(mounts) == 1 else None)
    )
    if chosen is None:
        return None
    return ResourceRef(kind="PersistentVolumeClaim", namespace=namespace_of(pod), name=claims[chosen["name"]])


def _log_candidate(
    facts: Facts, pod: dict[str, Any], container: str, previous: bool, line: str, culprit: ResourceRef
) -> Candidate:
    namespace = namespace_of(pod) or ""
    workload = owner_workload(facts, pod)
    on_claim = culprit.kind == "PersistentVolumeClaim"
    where = f"PersistentVolumeClaim {culprit.name}" if on_claim else "its container or emptyDir storage"
    cites = [cite_log(namespace, name_of(pod), container, previous, line)]
    claim = find(facts, "PersistentVolumeClaim", namespace, culprit.name) if on_claim else None
    if claim is not None:
        size = ((claim.get("status") or {}).get("capacity") or {}).get("storage")
        cites.append(cite_object(claim, culprit.name, "PersistentVolumeClaim"))
        where += f" ({size})" if size else ""
    return Candidate(
        title=f"{workload.name} is out of disk space on {where}",
        category=Category.VolumeFull,
        resource=culprit,
        confidence=0.9 if on_claim else 0.75,
        explanation=(
            f"Container {container} of pod {name_of(pod)} fails to write: {line!r}. The volume it writes to, "
            f"{where}, is full. Free space or expand the claim (if its StorageClass allows expansion)."
        ),
        cites=cites,
        # The workload is a symptom of a full claim: listing it lets its crash fold into this cause.
        affected=[workload, pod_ref(pod)] if on_claim else [pod_ref(pod)],
        severity=outage_severity(facts, workload),
        next_steps=[
            NextStep(
                description="See how full the volume is",
                command=f"kubectl -n {namespace} exec {name_of(pod)} -c {container} -- df -h",
            ),
            NextStep(
                description="Expand the claim (spec.resources.requests.storage)"
                if on_claim
                else "Raise limits",
                command=kubectl(culprit, "edit"),
            ),
        ],
    )


def _eviction_candidate(facts: Facts, pod: dict[str, Any], events: list[dict[str, Any]]) -> Candidate | None:
    status = pod.get("status") or {}
    message = status.get("message") or ""
    events = [e for e in events if LOCAL_LIMIT.search(event_message(e))]
    if status.get("reason") != "Evicted" and not events:
        return None
    if not LOCAL_LIMIT.search(message) and not events:
        return None
    if not events and not is_recent(_eviction_time(pod), facts.now):
        return None
    workload = owner_workload(facts, pod)
    cites = [cite_event(events[0])] if events else [cite_object(pod, message, "Pod")]
    text = event_message(events[0]) if events else message
    return Candidate(
        title=f"{workload.name} pods are evicted for exceeding their ephemeral-storage limit",
        category=Category.VolumeFull,
        resource=workload,
        confidence=0.85,
        explanation=f"Pod {name_of(pod)} was evicted: {text} It writes more local data than allowed.",
        cites=cites,
        affected=[pod_ref(pod)],
        severity=2,
        next_steps=[
            NextStep(
                description="List evicted pods",
                command=f"kubectl -n {namespace_of(pod)} get pods --field-selector status.phase=Failed",
            ),
            NextStep(
                description="Raise the ephemeral-storage limit or write to a volume",
                command=kubectl(workload, "edit"),
            ),
        ],
    )


def _eviction_time(pod: dict[str, Any]) -> str | None:
    times = [c.get("lastTransitionTime") for c in (pod.get("status") or {}).get("conditions") or []]
    times = [t for t in times if t]
    return max(times) if times else (pod.get("status") or {}).get("startTime")
