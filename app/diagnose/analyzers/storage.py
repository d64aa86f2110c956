"""StorageProvisioning: PersistentVolumeClaims stuck Pending, and the pods waiting on them.

Evidence: the PVC's phase and events (ProvisioningFailed `storageclass.storage.k8s.io "fast-ssd" not
found`, FailedBinding `no persistent volumes available for this claim and no storage class is set`,
ExternalProvisioning that never ends), the StorageClasses that exist, and the pods whose
FailedScheduling says `pod has unbound immediate PersistentVolumeClaims`. The culprit is the PVC.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    event_message,
    events_about,
    pod_ref,
    pod_volume_claims,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import age
from tools.contracts.wording import plural

PROVISIONING_GRACE = timedelta(minutes=5)  # dynamic provisioning normally takes seconds to a minute
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def analyze(facts: Facts) -> list[Candidate]:
    candidates = []
    for claim in facts.of_kind("PersistentVolumeClaim"):
        if (claim.get("status") or {}).get("phase") != "Pending":
            continue
        candidate = _pending(facts, claim)
        if candidate:
            candidates.append(candidate)
    return candidates


def _pending(facts: Facts, claim: dict[str, Any]) -> Candidate | None:
    namespace, name = namespace_of(claim), name_of(claim)
    events = events_about(facts, "PersistentVolumeClaim", namespace, name, recent_only=False)
    warnings = [e for e in events if e.get("type") == "Warning"]
    class_name = (claim.get("spec") or {}).get("storageClassName")
    classes = {name_of(sc): sc for sc in facts.of_kind("StorageClass")}
    classes_known = "StorageClass" in facts.objects
    pods = _pods_using(facts, namespace, name)
    waiting_pods = [pod for pod in pods if (pod.get("status") or {}).get("phase") == "Pending"]
    pending_for = age(meta(claim).get("creationTimestamp"), facts.now) or timedelta(0)

    cites: list[Cite] = [cite_object(claim, "Pending", "PersistentVolumeClaim")]
    if warnings:
        cites.append(cite_event(warnings[0]))
    if class_name and classes_known and class_name not in classes:
        cause = f"its StorageClass {class_name!r} does not exist"
        existing = ", ".join(sorted(classes)) or "none"
        detail = f" StorageClasses in the cluster: {existing}."
        confidence = 0.95
    elif class_name is None and classes_known and not _default_class(classes):
        cause = "it names no StorageClass, there is no default class and no PersistentVolume matches it"
        detail = ""
        confidence = 0.85
    elif warnings:
        cause = f"provisioning fails: {event_message(warnings[0])}"
        detail = ""
        confidence = 0.85
    elif (
        pending_for > PROVISIONING_GRACE
        and _waits_on_provisioner(events)
        and not _first_consumer_only(events)
    ):
        cause = "the external provisioner never creates the volume (is the CSI driver running?)"
        detail = ""
        cites.append(cite_event(events[0]))
        confidence = 0.7
    else:
        return None  # young claim, or WaitForFirstConsumer: normal
    for pod in waiting_pods:
        for event in events_about(facts, "Pod", namespace_of(pod), name_of(pod), {"FailedScheduling"}):
            if "PersistentVolumeClaim" in event_message(event) or "persistentvolumeclaim" in event_message(
                event
            ):
                cites.append(cite_event(event))
                break
    ref = ResourceRef(kind="PersistentVolumeClaim", namespace=namespace, name=name)
    explanation = f"PersistentVolumeClaim {namespace}/{name} is Pending because {cause}.{detail}"
    if waiting_pods:
        explanation += f" {plural(len(waiting_pods), 'pod')} using it cannot start until it is bound."
    return Candidate(
        title=f"PVC {name} stays Pending: {cause}",
        category=Category.StorageProvisioning,
        resource=ref,
        confidence=confidence,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(pod) for pod in waiting_pods],
        severity=3 if waiting_pods else 2,
        next_steps=[
            NextStep(
                description="Read the claim's events", command=f"kubectl -n {namespace} describe pvc {name}"
            ),
            NextStep(description="List StorageClasses and provisioners", command="kubectl get storageclass"),
            NextStep(
                description="Recreate the claim with an existing storageClassName (the field is immutable)",
                command=f"kubectl -n {namespace} get pvc {name} -o yaml",
            ),
        ],
    )


def _pods_using(facts: Facts, namespace: str | None, claim: str) -> list[dict[str, Any]]:
    return [pod for pod in facts.of_kind("Pod", namespace) if claim in pod_volume_claims(pod).values()]


def _default_class(classes: dict[str, dict[str, Any]]) -> bool:
    return any(meta(sc).get("annotations", {}).get(DEFAULT_CLASS) == "true" for sc in classes.values())


def _waits_on_provisioner(events: list[dict[str, Any]]) -> bool:
    return any(e.get("reason") == "ExternalProvisioning" for e in events)


def _first_consumer_only(events: list[dict[str, Any]]) -> bool:
    return bool(events) and all(e.get("reason") == "WaitForFirstConsumer" for e in events)
