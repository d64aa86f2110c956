"""VolumeAttach: a pod's volume cannot be attached or mounted (Multi-Attach, attach/mount timeouts).

Evidence: FailedAttachVolume `Multi-Attach error for volume "pvc-..." Volume is already exclusively
attached to one node and can't be attached to another`, FailedMount `Unable to attach or mount volumes:
unmounted volumes=[data] ...: timed out waiting for the condition`, the pod still not running, and the
other pod holding a ReadWriteOnce claim on another node. That last fact is state: with no events left, a
pod stuck creating on one node while a running pod on another node holds its ReadWriteOnce claim is the
Multi-Attach by itself. The culprit is the claim.
Missing ConfigMap/Secret volumes are the MissingConfig analyzer's.
"""

from __future__ import annotations

import re
from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    event_message,
    find,
    kubectl,
    owner_workload,
    pod_ref,
    pod_volume_claims,
    recent_events_by_object,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.kube.pod_status import pod_status

MULTI_ATTACH = "Multi-Attach error"
VOLUME_NAME = re.compile(r'(?:for )?volume "(?P<volume>[^"]+)"')
UNMOUNTED = re.compile(r"unmounted volumes=\[(?P<volumes>[^\]]*)\]")
NOT_OURS = re.compile(r'(?:configmap|secret)s? "[^"]+" not found', re.I)


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    index = recent_events_by_object(facts, {"FailedAttachVolume", "FailedMount"})
    for pod in facts.of_kind("Pod"):
        if (pod.get("status") or {}).get("phase") == "Running":
            continue
        namespace = namespace_of(pod)
        events = [
            e for e in index.get((namespace or "", name_of(pod)), []) if not NOT_OURS.search(event_message(e))
        ]
        if not events:
            claim = _held_elsewhere(facts, pod)
            if claim is None:
                continue
            culprit = ResourceRef(kind="PersistentVolumeClaim", namespace=namespace, name=claim)
            key = (culprit.kind, culprit.namespace or "", culprit.name)
            if key in candidates:
                candidates[key].affected.append(pod_ref(pod))
            else:
                candidates[key] = _candidate(facts, pod, None, culprit, claim)
            continue
        event = next((e for e in events if MULTI_ATTACH in event_message(e)), events[0])
        claim = _claim_of(facts, pod, event_message(event))
        culprit = (
            ResourceRef(kind="PersistentVolumeClaim", namespace=namespace, name=claim)
            if claim
            else owner_workload(facts, pod)
        )
        key = (culprit.kind, culprit.namespace or "", culprit.name)
        if key in candidates:
            candidates[key].affected.append(pod_ref(pod))
            continue
        candidates[key] = _candidate(facts, pod, event, culprit, claim)
    return list(candidates.values())


def _claim_of(facts: Facts, pod: dict[str, Any], message: str) -> str | None:
    claims = pod_volume_claims(pod)
    unmounted = UNMOUNTED.search(message)
    if unmounted:
        for volume in unmounted["volumes"].split():
            if volume in claims:
                return claims[volume]
    named = VOLUME_NAME.search(message)
    if named:
        volume = named["volume"]
        if volume in claims:
            return claims[volume]
        pv = find(facts, "PersistentVolume", None, volume)
        claim_ref = ((pv or {}).get("spec") or {}).get("claimRef") or {}
        if claim_ref.get("name"):
            return claim_ref["name"]
    if len(set(claims.values())) == 1:
        return next(iter(claims.values()))
    return None


def _candidate(
    facts: Facts, pod: dict[str, Any], event: dict[str, Any] | None, culprit: ResourceRef, claim: str | None
) -> Candidate:
    """From the event when there is one; else (``event`` None) from state: a ReadWriteOnce claim in use
    by a pod on another node."""
    namespace = namespace_of(pod) or ""
    message = event_message(event) if event else ""
    cites = [cite_event(event)] if event else [cite_object(pod, pod_status(pod), "Pod")]
    multi = event is None or MULTI_ATTACH in message
    explanation = (
        f"Pod {name_of(pod)} cannot start: {message}."
        if event
        else f"Pod {name_of(pod)} has been stuck in {pod_status(pod)} on its node."
    )
    holders = _other_holders(facts, pod, claim) if claim else []
    if multi:
        explanation += " The volume is ReadWriteOnce and still attached to another node"
        if holders:
            holder = holders[0]
            node = (holder.get("spec") or {}).get("nodeName", "?")
            explanation += f" (pod {name_of(holder)} on {node} uses the same claim)"
            cites.append(cite_object(holder, name_of(holder), "Pod"))
        explanation += (
            "; a rolling update or a reschedule started the new pod on another node. Use the Recreate "
            "strategy (or a StatefulSet), or a ReadWriteMany volume."
        )
    else:
        explanation += " The node cannot attach or mount the volume in time (storage backend or CSI driver)."
    if claim:
        claim_obj = find(facts, "PersistentVolumeClaim", namespace, claim)
        if claim_obj is not None:
            cites.append(cite_object(claim_obj, claim, "PersistentVolumeClaim"))
    workload = owner_workload(facts, pod)
    return Candidate(
        title=f"volume of {workload.name} cannot be attached: "
        + ("Multi-Attach (already attached to another node)" if multi else "attach/mount timed out"),
        category=Category.VolumeAttach,
        resource=culprit,
        confidence=0.9 if multi else 0.75,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(pod)],
        severity=3,
        next_steps=[
            NextStep(description="See which node holds the volume", command="kubectl get volumeattachments"),
            NextStep(
                description="Change the rollout strategy to Recreate" if multi else "Check the CSI drivers",
                command=kubectl(workload, "edit") if multi else "kubectl get csidrivers,csinodes",
            ),
        ],
    )


def _other_holders(facts: Facts, pod: dict[str, Any], claim: str) -> list[dict[str, Any]]:
    node = (pod.get("spec") or {}).get("nodeName")
    return [
        other
        for other in facts.of_kind("Pod", namespace_of(pod))
        if name_of(other) != name_of(pod)
        and claim in pod_volume_claims(other).values()
        and (other.get("spec") or {}).get("nodeName") not in (None, node)
    ]


def _read_write_once(facts: Facts, namespace: str | None, claim: str) -> bool:
    obj = find(facts, "PersistentVolumeClaim", namespace, claim)
    modes = set(
        ((obj or {}).get("status") or {}).get("accessModes")
        or ((obj or {}).get("spec") or {}).get("accessModes")
        or []
    )
    return bool(modes) and modes <= {"ReadWriteOnce", "ReadWriteOncePod"}


def _held_elsewhere(facts: Facts, pod: dict[str, Any]) -> str | None:
    """The ReadWriteOnce claim of a pod stuck creating on its node that a running pod on another node
    holds (what the Multi-Attach error says, read from state)."""
    if not (pod.get("spec") or {}).get("nodeName") or pod_status(pod) != "ContainerCreating":
        return None
    for claim in sorted(set(pod_volume_claims(pod).values())):
        if not _read_write_once(facts, namespace_of(pod), claim):
            continue
        if any((h.get("status") or {}).get("phase") == "Running" for h in _other_holders(facts, pod, claim)):
            return claim
    return None
