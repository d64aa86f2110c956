"""DisruptionBudget: a PodDisruptionBudget that allows no disruption and is blocking a drain or eviction.

Evidence: status.disruptionsAllowed 0 with currentHealthy <= desiredHealthy, plus what it blocks: a
recent `Cannot evict pod as it would violate the pod's disruption budget.` or a cordoned node still
running pods the budget covers. A budget that can never allow an eviction (minAvailable equal to the
replicas, maxUnavailable 0) is reported as a warning even before a drain hits it. A budget at 0 only
because its pods are unhealthy is a symptom of another problem, not a culprit.
"""

from __future__ import annotations

from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import event_is_recent
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    event_message,
    kubectl,
    pod_ref,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import labels_of, name_of, namespace_of
from tools.contracts.kube.selectors import matches
from tools.contracts.wording import noun_for

EVICTION_BLOCKED = "violate the pod's disruption budget"


def analyze(facts: Facts) -> list[Candidate]:
    blocked_events = [
        e for e in facts.events if EVICTION_BLOCKED in event_message(e) and event_is_recent(e, facts.now)
    ]
    candidates = []
    for budget in facts.of_kind("PodDisruptionBudget"):
        candidate = _candidate(facts, budget, blocked_events)
        if candidate:
            candidates.append(candidate)
    return candidates


def never_allows(budget: dict[str, Any]) -> bool:
    """minAvailable >= the pods it covers, or maxUnavailable 0: no voluntary eviction can ever pass."""
    spec, status = budget.get("spec") or {}, budget.get("status") or {}
    expected = int(status.get("expectedPods") or 0)
    if str(spec.get("maxUnavailable", "")).strip() in ("0", "0%"):
        return True
    minimum = spec.get("minAvailable")
    if minimum is None:
        return False
    if str(minimum).endswith("%"):
        return str(minimum) == "100%"
    return expected > 0 and int(minimum) >= expected


def _candidate(
    facts: Facts, budget: dict[str, Any], blocked_events: list[dict[str, Any]]
) -> Candidate | None:
    status = budget.get("status") or {}
    if int(status.get("disruptionsAllowed") or 0) > 0 or not int(status.get("expectedPods") or 0):
        return None
    if int(status.get("currentHealthy") or 0) > int(status.get("desiredHealthy") or 0):
        return None
    namespace = namespace_of(budget)
    selector = (budget.get("spec") or {}).get("selector")
    # A missing selector counts as {} here (all pods of the namespace), as this analyzer always read it.
    pods = [pod for pod in facts.of_kind("Pod", namespace) if matches(selector or {}, labels_of(pod))]
    pod_names = {name_of(pod) for pod in pods}
    cordoned = {
        name_of(node) for node in facts.of_kind("Node") if (node.get("spec") or {}).get("unschedulable")
    }
    stranded = [pod for pod in pods if (pod.get("spec") or {}).get("nodeName") in cordoned]
    events = [
        e
        for e in blocked_events
        if (e.get("involvedObject") or {}).get("name") in pod_names | {name_of(budget)} | cordoned
    ]
    permanent = never_allows(budget)
    if not (events or stranded or permanent):
        return None  # at 0 only because pods are unhealthy: their own analyzers explain why
    cites: list[Cite] = [cite_object(budget, name_of(budget), "PodDisruptionBudget")]
    cites.extend(cite_event(e) for e in events[:1])
    for node in sorted({(p.get("spec") or {}).get("nodeName") for p in stranded})[:1]:
        cites.append(cite_object({"kind": "Node", "metadata": {"name": node}}, node, "Node"))
    healthy, desired = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
    explanation = (
        f"PodDisruptionBudget {namespace}/{name_of(budget)} allows 0 disruptions "
        f"({healthy} healthy, {desired} required, {status.get('expectedPods')} expected)"
    )
    if permanent:
        explanation += "; its minAvailable/maxUnavailable can never allow an eviction"
    if events or stranded:
        nodes = sorted({(p.get("spec") or {}).get("nodeName") for p in stranded})
        where = f" on cordoned {noun_for(len(nodes), 'node')} {', '.join(nodes)}" if nodes else ""
        explanation += f", so draining is blocked: pods it covers cannot be evicted{where}."
    else:
        explanation += ". The next node drain or cluster upgrade will hang on it."
    return Candidate(
        title=f"PodDisruptionBudget {name_of(budget)} blocks evictions"
        + (" (a node drain is stuck)" if events or stranded else ""),
        category=Category.DisruptionBudget,
        resource=ResourceRef(kind="PodDisruptionBudget", namespace=namespace, name=name_of(budget)),
        confidence=0.9 if (events or stranded) else 0.6,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(pod) for pod in (stranded or pods)],
        severity=2 if (events or stranded) else 1,
        next_steps=[
            NextStep(
                description="See the budget's status",
                command=f"kubectl -n {namespace} get pdb {name_of(budget)} -o wide",
            ),
            NextStep(
                description="Allow at least one disruption (lower minAvailable or raise replicas)",
                command=kubectl(ResourceRef(kind="pdb", namespace=namespace, name=name_of(budget)), "edit"),
            ),
        ],
    )
