"""InsufficientResources / SchedulingConstraint: pods stuck Pending, from the scheduler's own words.

The scheduler writes why into the pod's PodScheduled condition (Unschedulable) and, while it lasts, a
FailedScheduling event. The message lists, per reason, how many nodes it ruled out, in the current form
("0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
3 Insufficient cpu. preemption: ...") or the old predicates form ("No nodes are available that match all
of the predicates: Insufficient pods (2), NodeNotReady (1), NodeUnschedulable (3)."). Resource reasons
(Insufficient cpu/memory/nvidia.com/gpu/pods, Too many pods) mean the usable nodes are full; taints,
affinity, selectors, topology spread and volume zones mean the pod's rules exclude the nodes. Nodes that
are unusable anyway (not ready, cordoned, under pressure, the control-plane taint) are the node
analyzer's and weigh for neither. Unbound PVCs are the storage analyzer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.state_facts import Unschedulable, since_text, unschedulable
from app.diagnose.workload_facts import (
    find,
    group_by_workload,
    kubectl,
    outage_severity,
    pod_key,
    pod_ref,
    pod_volume_claims,
    ref_from_key,
    rollout_stuck_cite,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import labels_of, namespace_of
from tools.contracts.kube.quantity import quantity
from tools.contracts.wording import noun_for, plural, verb

COUNTED = re.compile(r"nodes are available: (?P<body>.*?)(?:\.\s*preemption:|\.?$)", re.S)
SEGMENT = re.compile(r"^(?P<count>\d+) (?P<reason>.+)$")
# Before 1.10: "No nodes are available that match all of the (following) predicates:: Insufficient cpu (3)."
PREDICATES = re.compile(r"match all of the (?:following )?predicates:+\s*(?P<body>.*?)\.?\s*$", re.S)
PREDICATE = re.compile(r"^(?P<reason>.+?) \((?P<count>\d+)\)$")
STORAGE_REASONS = ("unbound immediate PersistentVolumeClaims", "persistentvolumeclaim")
# Nodes unusable whatever the pod asks: not ready, cordoned, under pressure, control-plane only.
UNUSABLE_NODES = (
    "node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master",
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/pid-pressure", "node.kubernetes.io/network-unavailable",
    "were unschedulable", "were not ready", "node(s) had memory pressure", "node(s) had disk pressure",
    "node(s) had pid pressure", "NodeNotReady", "NodeUnschedulable", "NodeUnderMemoryPressure",
    "NodeUnderDiskPressure", "NodeUnderPIDPressure", "NodeNetworkUnavailable", "NodeOutOfDisk",
    "CheckNodeCondition", "CheckNodeMemoryPressure", "CheckNodeDiskPressure", "CheckNodePIDPressure",
)  # fmt: skip
VOLUME_ZONE = ("volume node affinity conflict", "NoVolumeZoneConflict", "no available volume zone")


@dataclass
class Verdict:
    resources: dict[str, int] = field(default_factory=dict)  # "cpu" -> nodes short of it
    constraints: dict[str, int] = field(default_factory=dict)  # reason text -> nodes
    unusable: dict[str, int] = field(default_factory=dict)  # nodes out of use whatever the pod asks
    storage: bool = False


def parse_message(message: str) -> Verdict:
    """Group the scheduler's per-reason node counts into resource shortages and constraints."""
    verdict = Verdict()
    if any(reason in message for reason in STORAGE_REASONS):
        verdict.storage = True
    for count, reason in _segments(message):
        if reason.startswith("Insufficient "):
            verdict.resources[reason.removeprefix("Insufficient ")] = count
        elif reason.startswith("Too many pods"):
            verdict.resources["pods"] = count
        elif any(text in reason for text in STORAGE_REASONS):
            verdict.storage = True
        elif any(text in reason for text in UNUSABLE_NODES):
            verdict.unusable[reason] = count
        else:
            verdict.constraints[reason] = count
    return verdict


def _counted(reason: str, nodes: int) -> str:
    """The scheduler's "node(s) had untolerated taint {..}" with its node count: "2 nodes had ..."."""
    if reason.startswith("node(s) "):
        return f"{plural(nodes, 'node')} {reason.removeprefix('node(s) ')}"
    return f"{reason} ({plural(nodes, 'node')})"


def _segments(message: str) -> list[tuple[int, str]]:
    """(node count, reason) pairs of either message form."""
    match = COUNTED.search(message)
    if match:
        parts = re.split(r",\s+(?=\d+ )", match["body"].strip().rstrip("."))
        found = [SEGMENT.match(part.strip()) for part in parts]
        return [(int(m["count"]), m["reason"].strip()) for m in found if m]
    match = PREDICATES.search(message)
    if match:
        found = [PREDICATE.match(part.strip()) for part in re.split(r",\s+", match["body"].strip())]
        return [(int(m["count"]), m["reason"].strip()) for m in found if m]
    return []


def analyze(facts: Facts) -> list[Candidate]:
    pending: dict[tuple[str, str], tuple[dict[str, Any], Verdict, Unschedulable]] = {}
    for pod in facts.of_kind("Pod"):
        found = unschedulable(facts, pod)
        if found is None:
            continue
        verdict = parse_message(found.message)
        if verdict.storage or not (verdict.resources or verdict.constraints):
            continue
        pending[pod_key(pod)] = (pod, verdict, found)
    pods = [pod for pod, _, _ in pending.values()]
    short = {resource for _, verdict, _ in pending.values() for resource in verdict.resources}
    largest = _largest_allocatable(facts, short)
    candidates = []
    for key, group in group_by_workload(facts, pods).items():
        pod, verdict, event = pending[pod_key(group[0])]
        candidates.append(_candidate(facts, ref_from_key(key), pod, verdict, event, group, largest))
    return candidates


def _largest_allocatable(facts: Facts, resources: set[str]) -> dict[str, float]:
    """The most of each resource any one node can allocate, read once for all the pending workloads."""
    largest = dict.fromkeys(resources, 0.0)
    for node in facts.of_kind("Node") if resources else ():
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        for resource in resources:
            largest[resource] = max(largest[resource], quantity(allocatable.get(resource)))
    return largest


def _requests(pod: dict[str, Any], resource: str) -> float:
    total = 0.0
    for container in (pod.get("spec") or {}).get("containers") or []:
        total += quantity(((container.get("resources") or {}).get("requests") or {}).get(resource))
    return total


def _candidate(
    facts: Facts,
    workload: ResourceRef,
    pod: dict[str, Any],
    verdict: Verdict,
    found: Unschedulable,
    group: list[dict[str, Any]],
    largest: dict[str, float],
) -> Candidate:
    resource_nodes = sum(verdict.resources.values())
    constraint_nodes = sum(verdict.constraints.values())
    cites: list[Cite] = list(found.cites)
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
    common = dict(
        resource=workload,
        cites=cites,
        affected=[pod_ref(p) for p in group],
        severity=outage_severity(facts, workload),
    )
    if resource_nodes and resource_nodes >= constraint_nodes:
        short = ", ".join(sorted(verdict.resources))
        explanation = (
            f"{plural(len(group), 'pod')} of {workload} {verb(len(group), 'stays', 'stay')} "
            f"Pending{since_text(found.since)}: the scheduler finds "
            f"not enough {short} "
            "on any node "
            f"({found.message.split('. preemption')[0]})."
        )
        explanation += _size_hint(pod, verdict, largest)
        return Candidate(
            title=f"{workload.name} cannot be scheduled: not enough {short} in the cluster",
            category=Category.InsufficientResources,
            confidence=0.9,
            explanation=explanation,
            next_steps=[
                NextStep(
                    description="See what is requested and allocated on each node",
                    command="kubectl describe nodes | grep -A 8 'Allocated resources'",
                ),
                NextStep(description="Lower the requests or add capacity", command=kubectl(workload, "edit")),
            ],
            **common,
        )
    reasons = "; ".join(_counted(reason, count) for reason, count in sorted(verdict.constraints.items()))
    explanation = (
        f"{plural(len(group), 'pod')} of {workload} {verb(len(group), 'stays', 'stay')} "
        f"Pending{since_text(found.since)}: every node is ruled out "
        f"by its rules ({reasons})."
    )
    explanation += _selector_hint(facts, pod) + _zone_hint(facts, pod, verdict)
    return Candidate(
        title=f"{workload.name} cannot be scheduled: {reasons}",
        category=Category.SchedulingConstraint,
        confidence=0.85,
        explanation=explanation,
        next_steps=[
            NextStep(description="Compare node labels and taints", command="kubectl get nodes --show-labels"),
            NextStep(
                description="Fix nodeSelector, affinity, tolerations or topology spread",
                command=kubectl(workload, "edit"),
            ),
        ],
        **common,
    )


def _size_hint(pod: dict[str, Any], verdict: Verdict, largest: dict[str, float]) -> str:
    for resource in sorted(verdict.resources):
        wanted = _requests(pod, resource)
        if wanted and largest[resource] and wanted > largest[resource]:
            return (
                f" Each pod requests more {resource} than the largest node can allocate: no node will fit it."
            )
    return " Free capacity, lower the requests, or add nodes."


def _selector_hint(facts: Facts, pod: dict[str, Any]) -> str:
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    nodes = list(facts.of_kind("Node"))
    if not selector or not nodes:
        return ""
    missing = [
        f"{key}={value}"
        for key, value in selector.items()
        if not any(labels_of(n).get(key) == value for n in nodes)
    ]
    if missing:
        labels = noun_for(len(missing), "label")
        return f" No node has the {labels} its nodeSelector asks for: {', '.join(missing)}."
    return ""


ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


def _zone_hint(facts: Facts, pod: dict[str, Any], verdict: Verdict) -> str:
    """For a volume zone conflict: which claim's volume is pinned where (PVs carry a node affinity)."""
    if not any(text in reason for reason in verdict.constraints for text in VOLUME_ZONE):
        return ""
    for claim_name in pod_volume_claims(pod).values():
        claim = find(facts, "PersistentVolumeClaim", namespace_of(pod), claim_name)
        volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
        volume = find(facts, "PersistentVolume", None, volume_name) if volume_name else None
        zones = _volume_zones(volume) if volume else []
        if zones:
            return (
                f" Its PersistentVolumeClaim {claim_name} is bound to PersistentVolume {volume_name}, "
                f"which only nodes in {', '.join(zones)} can use."
            )
    return ""


def _volume_zones(volume: dict[str, Any]) -> list[str]:
    zones: list[str] = []
    required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}
    for term in required.get("nodeSelectorTerms") or []:
        for expression in term.get("matchExpressions") or []:
            if expression.get("key") in ZONE_LABELS:
                zones.extend(expression.get("values") or [])
    zones.extend(value for key, value in labels_of(volume).items() if key in ZONE_LABELS)
    return sorted(set(zones))
