"""A rollout stuck past its progress deadline with no cause the other analyzers recognise (Other).

A Deployment with Progressing=False / ProgressDeadlineExceeded is a symptom. When its pods show a known
cause (crash, OOM, image pull, missing config, probes, scheduling, quota, ...) those analyzers report it
under their category and cite the stuck rollout; this analyzer speaks only when nothing explains it.
"""

from __future__ import annotations

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import condition, event_is_recent, name_of, namespace_of
from app.diagnose.state_facts import readiness_failing
from app.diagnose.workload_facts import (
    cite_object,
    container_statuses,
    find,
    kubectl,
    pod_healthy,
    pod_ref,
    pods_of,
    restarted_recently,
    waiting,
)
from app.diagnosis import Category, NextStep, ResourceRef

EXPLAINING_REASONS = {
    "FailedCreate",
    "FailedScheduling",
    "FailedMount",
    "FailedAttachVolume",
    "Unhealthy",
    "BackOff",
}


def analyze(facts: Facts) -> list[Candidate]:
    candidates = []
    for deployment in facts.of_kind("Deployment"):
        progressing = condition(deployment, "Progressing") or {}
        if progressing.get("reason") != "ProgressDeadlineExceeded":
            continue
        ref = ResourceRef(kind="Deployment", namespace=namespace_of(deployment), name=name_of(deployment))
        if _explained(facts, ref):
            continue
        pods = [pod for pod in pods_of(facts, ref) if not pod_healthy(facts, pod)]
        message = progressing.get("message") or "ProgressDeadlineExceeded"
        candidates.append(
            Candidate(
                title=f"rollout of {ref.name} is stuck: {message}",
                category=Category.Other,
                resource=ref,
                confidence=0.5,
                explanation=(
                    f"Deployment {ref.namespace}/{ref.name} exceeded its progress deadline "
                    f"({message}) and no crash, pull, config, probe, scheduling or quota problem "
                    "explains it; look at the new ReplicaSet's pods and events."
                ),
                cites=[
                    cite_object(
                        deployment, progressing.get("message") or "ProgressDeadlineExceeded", "Deployment"
                    )
                ],
                affected=[pod_ref(pod) for pod in pods],
                severity=2,
                next_steps=[
                    NextStep(
                        description="See the rollout state",
                        command=f"kubectl -n {ref.namespace} rollout status deployment/{ref.name}",
                    ),
                    NextStep(description="Inspect the Deployment", command=kubectl(ref, "describe")),
                ],
            )
        )
    return candidates


def _explained(facts: Facts, deployment: ResourceRef) -> bool:
    """Some pod or ReplicaSet of the Deployment shows a cause another analyzer reports: by its state (a pod
    pending or waiting, failing its readiness probe or restarting; a ReplicaFailure), else a recent event."""
    names = {deployment.name}
    if (condition(find(facts, "Deployment", deployment.namespace, deployment.name) or {}, "ReplicaFailure")
            or {}).get("status") == "True":  # fmt: skip
        return True
    for rs in facts.of_kind("ReplicaSet", deployment.namespace):
        owners = (rs.get("metadata") or {}).get("ownerReferences") or []
        if any(o.get("kind") == "Deployment" and o.get("name") == deployment.name for o in owners):
            names.add(name_of(rs))
            if (condition(rs, "ReplicaFailure") or {}).get("status") == "True":
                return True
    for pod in pods_of(facts, deployment):
        names.add(name_of(pod))
        status = pod.get("status") or {}
        if status.get("phase") == "Pending" or any(waiting(s) for s in container_statuses(pod)):
            return True
        if any(
            restarted_recently(facts, s) or readiness_failing(pod, s, facts.now)
            for s in container_statuses(pod)
        ):
            return True
    return any(
        e.get("reason") in EXPLAINING_REASONS
        and (e.get("involvedObject") or {}).get("name") in names
        and event_is_recent(e, facts.now)
        for e in facts.events
    )
