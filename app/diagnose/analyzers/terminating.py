"""Pods stuck Terminating: deleted long ago, still there, because a finalizer was never removed.

Evidence is state alone: ``metadata.deletionTimestamp`` well past the pod's grace period and the
``finalizers`` still listed (whatever controller owns a finalizer must remove it; until then the API keeps
the object). Pods stuck because their node is gone or NotReady are the node analyzer's; a pod deleted
within the last minutes is still shutting down normally.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import age, condition
from app.diagnose.workload_facts import cite_object, group_by_workload, pod_key, pod_ref, ref_from_key
from tools.contracts.diagnosis import Category, NextStep
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.wording import noun_for, plural, verb

STUCK_AFTER = timedelta(minutes=5)  # beyond the grace period: deletion is no longer in progress


def _stuck(facts: Facts, pod: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> list[str]:
    """The finalizers holding a pod whose deletion should have finished; [] when it is not stuck on one."""
    finalizers = meta(pod).get("finalizers") or []
    deleted = age(meta(pod).get("deletionTimestamp"), facts.now)
    if not finalizers or deleted is None:
        return []
    grace = timedelta(seconds=int(meta(pod).get("deletionGracePeriodSeconds") or 30))
    if deleted < grace + STUCK_AFTER:
        return []
    node = nodes.get((pod.get("spec") or {}).get("nodeName") or "")
    if node is not None and (condition(node, "Ready") or {}).get("status") != "True":
        return []  # the node analyzer's: its kubelet cannot confirm anything
    return list(finalizers)


def analyze(facts: Facts) -> list[Candidate]:
    nodes = {name_of(node): node for node in facts.of_kind("Node")}
    held = {
        pod_key(pod): (pod, found) for pod in facts.of_kind("Pod") if (found := _stuck(facts, pod, nodes))
    }
    pods = [pod for pod, _ in held.values()]
    candidates = []
    for key, group in group_by_workload(facts, pods).items():
        workload = ref_from_key(key)
        finalizers = sorted({f for pod in group for f in held[pod_key(pod)][1]})
        first = group[0]
        since = meta(first).get("deletionTimestamp")
        culprit = pod_ref(first) if len(group) == 1 else workload
        candidates.append(
            Candidate(
                title=f"{plural(len(group), 'pod')} of {workload.name} stuck Terminating on "
                f"{noun_for(len(finalizers), 'finalizer')} "
                f"{', '.join(finalizers)}",
                category=Category.Other,
                resource=culprit,
                confidence=0.8,
                explanation=(
                    f"Pod {namespace_of(first)}/{name_of(first)} was deleted at {since} and is still there: "
                    f"{noun_for(len(finalizers), 'finalizer').capitalize()} {', '.join(finalizers)} "
                    f"{verb(len(finalizers), 'was', 'were')} never removed. The controller that owns "
                    "them is down or failing; until it removes them the pod stays Terminating and its "
                    "replacement may wait (StatefulSet) or run next to it."
                ),
                cites=[cite_object(first, "Terminating", "Pod")],
                affected=[pod_ref(pod) for pod in group],
                severity=2,
                next_steps=[
                    NextStep(
                        description="See the finalizers",
                        command=f"kubectl -n {namespace_of(first)} get pod {name_of(first)} "
                        "-o jsonpath='{.metadata.finalizers}'",
                    ),
                    NextStep(
                        description="Fix the controller owning the finalizer (removing it by hand skips its "
                        "cleanup)",
                        command=f"kubectl -n {namespace_of(first)} get events --field-selector "
                        f"involvedObject.name={name_of(first)}",
                    ),
                ],
            )
        )
    return candidates
