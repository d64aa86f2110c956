"""A rollout stuck past its progress deadline with no cause the other analyzers recognise (Other), or
one its controller never picked up (metadata.generation ahead of status.observedGeneration for minutes
after the last spec change: the controller manager is down or stuck).

A Deployment with Progressing=False / ProgressDeadlineExceeded is a symptom. When its pods show a known
cause (crash, OOM, image pull, missing config, probes, scheduling, quota, ...) those analyzers report it
under their category and cite the stuck rollout; this analyzer speaks only when nothing explains it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import condition, event_is_recent, on_unready_node
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
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import parse_time

EXPLAINING_REASONS = {
    "FailedCreate",
    "FailedScheduling",
    "FailedMount",
    "FailedAttachVolume",
    "Unhealthy",
    "BackOff",
}


UNOBSERVED_AFTER = timedelta(minutes=5)  # a controller observes a new generation within seconds


def _unobserved(facts: Facts, workload: dict[str, Any]) -> Candidate | None:
    """A workload whose controller has not observed its latest spec long after it was written."""
    generation = meta(workload).get("generation")
    observed = (workload.get("status") or {}).get("observedGeneration")
    if generation is None or observed is None or int(observed) >= int(generation):
        return None
    written = [parse_time(e.get("time")) for e in meta(workload).get("managedFields") or []]
    latest = max((t for t in written if t), default=None)
    if latest is None or facts.now - latest < UNOBSERVED_AFTER:
        return None  # just changed, or no time to judge by
    ref = ResourceRef(kind=workload.get("kind", ""), namespace=namespace_of(workload), name=name_of(workload))
    text = f"generation {generation} not yet observed"
    return Candidate(
        title=f"{ref.name}: its controller has not acted on the change made at {latest:%H:%M} UTC",
        category=Category.Other,
        resource=ref,
        confidence=0.6,
        explanation=(
            f"{ref} is at generation {generation} but its controller last observed {observed}, although the "
            f"spec was written at {latest:%Y-%m-%d %H:%M} UTC: the controller manager is down, stuck or "
            "not electing a leader, so the change is not rolled out."
        ),
        cites=[cite_object(workload, text, ref.kind)],
        severity=2,
        next_steps=[
            NextStep(
                description="Check the controller manager",
                command="kubectl -n kube-system get pods -l component=kube-controller-manager",
            ),
        ],
    )


def analyze(facts: Facts) -> list[Candidate]:
    candidates = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in facts.of_kind(kind):
            unobserved = _unobserved(facts, workload)
            if unobserved is not None:
                candidates.append(unobserved)
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
        owners = meta(rs).get("ownerReferences") or []
        if any(o.get("kind") == "Deployment" and o.get("name") == deployment.name for o in owners):
            names.add(name_of(rs))
            if (condition(rs, "ReplicaFailure") or {}).get("status") == "True":
                return True
    for pod in pods_of(facts, deployment):
        names.add(name_of(pod))
        status = pod.get("status") or {}
        if status.get("phase") == "Pending" or any(waiting(s) for s in container_statuses(pod)):
            return True
        if on_unready_node(facts, pod):  # its node is down: the nodes analyzer's
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
