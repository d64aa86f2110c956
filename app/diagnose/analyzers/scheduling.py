"""InsufficientResources / SchedulingConstraint: pods stuck Pending, from the scheduler's own words.

The FailedScheduling message lists, per reason, how many nodes it ruled out
("0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
3 Insufficient cpu."). Resource reasons (Insufficient cpu/memory/nvidia.com/gpu, Too many pods) mean the
cluster is full; taints, affinity, selectors and topology spread mean the pod's rules exclude the nodes.
The control-plane taint is background noise. Unbound PVCs are the storage analyzer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.workload_facts import (
    cite_event,
    event_message,
    events_about,
    group_by_workload,
    kubectl,
    outage_severity,
    pod_ref,
    ref_from_key,
    rollout_stuck_cite,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import labels_of, name_of, namespace_of
from tools.contracts.kube.quantity import quantity

COUNTED = re.compile(r"nodes are available: (?P<body>.*?)(?:\.\s*preemption:|\.?$)", re.S)
SEGMENT = re.compile(r"^(?P<count>\d+) (?P<reason>.+)$")
STORAGE_REASONS = ("unbound immediate PersistentVolumeClaims", "persistentvolumeclaim")
NOISE_TAINTS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")


@dataclass
class Verdict:
    resources: dict[str, int] = field(default_factory=dict)  # "cpu" -> nodes short of it
    constraints: dict[str, int] = field(default_factory=dict)  # reason text -> nodes
    storage: bool = False


def parse_message(message: str) -> Verdict:
    """Group the scheduler's per-reason node counts into resource shortages and constraints."""
    verdict = Verdict()
    if any(reason in message for reason in STORAGE_REASONS):
        verdict.storage = True
    match = COUNTED.search(message)
    if not match:
        return verdict
    for part in re.split(r",\s+(?=\d+ )", match["body"].strip().rstrip(".")):
        segment = SEGMENT.match(part.strip())
        if not segment:
            continue
        count, reason = int(segment["count"]), segment["reason"].strip()
        if reason.startswith("Insufficient "):
            verdict.resources[reason.removeprefix("Insufficient ")] = count
        elif reason.startswith("Too many pods"):
            verdict.resources["pods"] = count
        elif any(text in reason for text in STORAGE_REASONS):
            verdict.storage = True
        elif any(taint in reason for taint in NOISE_TAINTS):
            continue
        else:
            verdict.constraints[reason] = count
    return verdict


def analyze(facts: Facts) -> list[Candidate]:
    pending: dict[str, tuple[dict[str, Any], Verdict, dict[str, Any]]] = {}
    for pod in facts.of_kind("Pod"):
        status = pod.get("status") or {}
        if status.get("phase") != "Pending" or (pod.get("spec") or {}).get("nodeName"):
            continue
        events = events_about(facts, "Pod", namespace_of(pod), name_of(pod), {"FailedScheduling"})
        if not events:
            continue
        verdict = parse_message(event_message(events[0]))
        if verdict.storage or not (verdict.resources or verdict.constraints):
            continue
        pending[name_of(pod)] = (pod, verdict, events[0])
    pods = [pod for pod in facts.of_kind("Pod") if name_of(pod) in pending]
    candidates = []
    for key, group in group_by_workload(facts, pods).items():
        pod, verdict, event = pending[name_of(group[0])]
        candidates.append(_candidate(facts, ref_from_key(key), pod, verdict, event, group))
    return candidates


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
    event: dict[str, Any],
    group: list[dict[str, Any]],
) -> Candidate:
    resource_nodes = sum(verdict.resources.values())
    constraint_nodes = sum(verdict.constraints.values())
    cites: list[Cite] = [cite_event(event)]
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
            f"{len(group)} pod(s) of {workload} stay Pending: the scheduler finds not enough {short} "
            "on any node "
            f"({event_message(event).split('. preemption')[0]})."
        )
        explanation += _size_hint(facts, pod, verdict)
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
    reasons = "; ".join(sorted(verdict.constraints))
    explanation = (
        f"{len(group)} pod(s) of {workload} stay Pending: every node is ruled out by its rules ({reasons})."
    )
    explanation += _selector_hint(facts, pod)
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


def _size_hint(facts: Facts, pod: dict[str, Any], verdict: Verdict) -> str:
    for resource in sorted(verdict.resources):
        wanted = _requests(pod, resource)
        largest = max(
            (
                quantity(((node.get("status") or {}).get("allocatable") or {}).get(resource))
                for node in facts.of_kind("Node")
            ),
            default=0.0,
        )
        if wanted and largest and wanted > largest:
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
        return f" No node has the label(s) its nodeSelector asks for: {', '.join(missing)}."
    return ""
