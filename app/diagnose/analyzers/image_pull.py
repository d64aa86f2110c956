"""ImagePull: images that cannot be pulled, told apart by the kubelet's Failed event message.

"not found"/"manifest unknown" means a wrong name or tag; "pull access denied"/"unauthorized" means a
missing or wrong imagePullSecret; "no such host"/"i/o timeout" means the registry is unreachable.
"""

from __future__ import annotations

import re
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    container_spec,
    container_statuses,
    event_message,
    events_about,
    group_by_workload,
    kubectl,
    outage_severity,
    pod_key,
    pod_ref,
    ref_from_key,
    rollout_stuck_cite,
    waiting,
)
from tools.contracts.diagnosis import Category, NextStep
from tools.contracts.kube.objects import name_of, namespace_of

PULL_WAITING = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}
IMAGE_IN_MESSAGE = re.compile(r'image "([^"]+)"')

KINDS = [  # (kind, message fragments), first match wins
    ("auth", ("pull access denied", "unauthorized", "authentication required", "403 forbidden", "denied:")),
    ("not_found", ("not found", "manifest unknown", "notfound", "name unknown", "does not exist")),
    ("rate_limited", ("toomanyrequests", "429 too many requests", "rate limit")),
    (
        "unreachable",
        ("no such host", "i/o timeout", "connection refused", "dial tcp", "tls handshake timeout"),
    ),
]
WORDS = {
    "auth": "the registry refuses access (missing or wrong imagePullSecret, or private repository)",
    "not_found": "the image name or tag does not exist in the registry",
    "rate_limited": "the registry rate-limits pulls",
    "unreachable": "the registry cannot be reached from the node",
    "invalid": "the image reference is not a valid image name",
    "unknown": "the image cannot be pulled",
}


def analyze(facts: Facts) -> list[Candidate]:
    stuck: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for pod in facts.of_kind("Pod"):
        for status in container_statuses(pod):
            if waiting(status).get("reason") in PULL_WAITING:
                stuck.setdefault(pod_key(pod), []).append((pod, status))
    pods = [hits[0][0] for hits in stuck.values()]
    return [
        _candidate(facts, ref_from_key(key), [hit for pod in group for hit in stuck[pod_key(pod)]])
        for key, group in group_by_workload(facts, pods).items()
    ]


def classify(message: str, waiting_reason: str = "") -> str:
    if waiting_reason == "InvalidImageName":
        return "invalid"
    lowered = message.lower()
    for kind, fragments in KINDS:
        if any(fragment in lowered for fragment in fragments):
            return kind
    return "unknown"


def _candidate(facts: Facts, workload, hits: list[tuple[dict[str, Any], dict[str, Any]]]) -> Candidate:
    pod, status = hits[0]
    namespace, container = namespace_of(pod) or "", status.get("name", "")
    wait = waiting(status)
    failed = [
        event
        for hit, _ in hits
        for event in events_about(facts, "Pod", namespace, name_of(hit), {"Failed"})
        if "Failed to pull image" in event_message(event) or "pull" in event_message(event).lower()
    ]
    # The kubelet's newest Failed event is "Error: ImagePullBackOff"; the one that says why (not found,
    # unauthorized) comes every few minutes before it: the newest event that tells a reason leads.
    failed.sort(key=lambda event: classify(event_message(event), wait.get("reason", "")) == "unknown")
    message = event_message(failed[0]) if failed else wait.get("message", "")
    kind = classify(message, wait.get("reason", ""))
    match = IMAGE_IN_MESSAGE.search(message) or IMAGE_IN_MESSAGE.search(wait.get("message", ""))
    image = (
        match.group(1)
        if match
        else (container_spec(pod, container) or {}).get("image", status.get("image", "?"))
    )
    cites: list[Cite] = [cite_object(pod, wait.get("reason"), "Pod")]
    if failed:
        cites.append(cite_event(failed[0]))
    explanation = (
        f"Container {container} of pod {name_of(pod)} is in {wait.get('reason')}: {WORDS[kind]}. "
        f"Image: {image}."
    )
    if kind == "auth":
        secrets = [s.get("name") for s in (pod.get("spec") or {}).get("imagePullSecrets") or []]
        explanation += (
            f" The pod uses imagePullSecrets {secrets}." if secrets else " The pod has no imagePullSecrets."
        )
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
        explanation += " The rollout is stuck on it (progress deadline exceeded)."
    steps = [
        NextStep(
            description="Read the pull error",
            command=f"kubectl -n {namespace} get events --field-selector involvedObject.name={name_of(pod)}",
        ),
        NextStep(
            description="Fix the image reference or pull secret"
            if kind != "rate_limited"
            else "Use a mirror",
            command=kubectl(workload, "edit"),
        ),
    ]
    return Candidate(
        title=f"{workload.name} cannot pull image {image}: {WORDS[kind].split(' (')[0]}",
        category=Category.ImagePull,
        resource=workload,
        confidence=0.9 if failed else 0.8,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(p) for p, _ in hits],
        severity=outage_severity(facts, workload),
        next_steps=steps,
    )
