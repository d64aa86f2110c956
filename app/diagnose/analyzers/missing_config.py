"""MissingConfig: a workload references a ConfigMap, Secret, key or ServiceAccount that does not exist.

Evidence: waiting reason CreateContainerConfigError with the kubelet's message (``secret "db-creds" not
found``, ``couldn't find key DB_PASSWORD in Secret shop/db-creds``); for a pod stuck ContainerCreating,
its configMap/secret volumes (projected ones too) checked against the ConfigMaps and Secrets that exist,
keys included, with FailedMount events as extra evidence while they last; and the ReplicaFailure
condition or FailedCreate event for a missing ServiceAccount (then no pod exists at all).
The culprit is the workload that holds the reference: fixing it means creating the object or the reference.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.state_facts import create_failures
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    cite_ref,
    container_statuses,
    event_message,
    events_about,
    find,
    group_by_workload,
    kubectl,
    outage_severity,
    owner_workload,
    pod_healthy,
    pod_key,
    pod_ref,
    ref_from_key,
    rollout_stuck_cite,
    waiting,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.printed import printed_key, reference_key

NOT_FOUND = re.compile(r'\b(secret|configmap|serviceaccount)s? "(?P<name>[^"]+)" not found', re.I)
MISSING_KEY = re.compile(
    r"couldn't find key (?P<key>\S+) in (?P<kind>Secret|ConfigMap) (?P<ns>[^/\s]+)/(?P<name>\S+)"
)
KIND_NAMES = {"secret": "Secret", "configmap": "ConfigMap", "serviceaccount": "ServiceAccount"}


@dataclass
class Missing:
    kind: str  # Secret, ConfigMap, ServiceAccount
    name: str
    key: str | None
    message: str
    cite_key: str = ""  # for a reference found in the pod spec: its printed key in the pod's description


def _volume_sources(pod: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(volume name, kind, source) of each configMap/secret a pod mounts, projected sources included."""
    found = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume.get("name", "")
        if volume.get("configMap"):
            found.append((name, "ConfigMap", volume["configMap"]))
        if volume.get("secret"):
            found.append((name, "Secret", {**volume["secret"], "name": volume["secret"].get("secretName")}))
        for source in (volume.get("projected") or {}).get("sources") or []:
            if source.get("configMap"):
                found.append((name, "ConfigMap", source["configMap"]))
            if source.get("secret"):
                found.append((name, "Secret", source["secret"]))
    return found


def missing_volume_source(facts: Facts, pod: dict[str, Any]) -> Missing | None:
    """A required configMap/secret volume (or one of its listed keys) that does not exist: the kubelet then
    keeps the pod in ContainerCreating. Only kinds that were read in full are judged."""
    namespace = namespace_of(pod)
    for volume, kind, source in _volume_sources(pod):
        if (
            source.get("optional")
            or not source.get("name")
            or kind not in facts.objects
            or kind in facts.unread
        ):
            continue
        shown = reference_key(kind, source["name"])
        obj = find(facts, kind, namespace, source["name"])
        if obj is None:
            message = f'volume {volume}: {kind.lower()} "{source["name"]}" not found'
            return Missing(kind, source["name"], None, message, shown)
        keys = set(obj.get("data") or {}) | set(obj.get("binaryData") or {})
        for item in source.get("items") or []:
            if item.get("key") and item["key"] not in keys:
                message = f"{kind.lower()} references non-existent {kind.lower()} key: {item['key']}"
                return Missing(kind, source["name"], item["key"], message, shown)
    return None


def parse(message: str) -> Missing | None:
    """What a kubelet/controller message says is missing; None for other messages."""
    match = MISSING_KEY.search(message)
    if match:
        return Missing(match["kind"], match["name"], match["key"], message)
    match = NOT_FOUND.search(message)
    if match:
        return Missing(KIND_NAMES[match.group(1).lower()], match["name"], None, message)
    return None


def analyze(facts: Facts) -> list[Candidate]:
    found: dict[tuple[str, str], tuple[dict[str, Any], Missing, list[Cite]]] = {}
    other: dict[tuple[str, str], tuple[dict[str, Any], str, list[Cite]]] = {}
    for pod in facts.of_kind("Pod"):
        if pod_healthy(facts, pod):
            continue
        namespace = namespace_of(pod)
        for status in container_statuses(pod):
            wait = waiting(status)
            if wait.get("reason") != "CreateContainerConfigError":
                continue
            cites = [cite_object(pod, "CreateContainerConfigError", "Pod")]
            events = events_about(facts, "Pod", namespace, name_of(pod), {"Failed"})
            missing = parse(wait.get("message", ""))
            for event in events:
                missing = missing or parse(event_message(event))
                if parse(event_message(event)):
                    cites.append(cite_event(event))
                    break
            if missing:
                found.setdefault(pod_key(pod), (pod, missing, cites))
            else:
                message = wait.get("message") or (event_message(events[0]) if events else "")
                other.setdefault(pod_key(pod), (pod, message, cites))
        if pod_key(pod) not in found and (pod.get("status") or {}).get("phase") == "Pending":
            cites = []
            missing = missing_volume_source(facts, pod)
            if missing is not None:
                cites.append(cite_object(pod, kind="Pod", key=missing.cite_key))
            for event in events_about(facts, "Pod", namespace, name_of(pod), {"FailedMount"}):
                said = parse(event_message(event))
                if said and said.kind in ("Secret", "ConfigMap"):
                    missing = missing or said
                    cites.append(cite_event(event))
                    break
            if missing is not None:
                found[pod_key(pod)] = (pod, missing, cites)
    candidates = []
    pods = [pod for pod, _, _ in found.values()]
    for key, group in group_by_workload(facts, pods).items():
        pod, missing, cites = found[pod_key(group[0])]
        candidates.append(_candidate(facts, ref_from_key(key), missing, cites, group))
    other_pods = [pod for pod, _, _ in other.values()]
    for key, group in group_by_workload(facts, other_pods).items():
        pod, message, cites = other[pod_key(group[0])]
        candidates.append(_other_candidate(facts, ref_from_key(key), message, cites, group))
    candidates.extend(_missing_service_accounts(facts))
    return candidates


def _exists(facts: Facts, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
    return find(facts, kind, namespace, name)


def _close_names(facts: Facts, kind: str, namespace: str | None, name: str) -> list[str]:
    names = [name_of(obj) for obj in facts.of_kind(kind, namespace)]
    return difflib.get_close_matches(name, names, n=2, cutoff=0.6)


def _candidate(
    facts: Facts, workload: ResourceRef, missing: Missing, cites: list[Cite], pods: list[dict[str, Any]]
) -> Candidate:
    namespace = workload.namespace
    what = (
        f"key {missing.key} in {missing.kind} {missing.name}"
        if missing.key
        else f"{missing.kind} {missing.name}"
    )
    existing = _exists(facts, missing.kind, namespace, missing.name)
    explanation = f"Pods of {workload} cannot start: they reference {what}, which does not exist"
    if missing.key and existing is not None:
        keys = sorted((existing.get("data") or {}).keys() | (existing.get("binaryData") or {}).keys())
        explanation += f" ({missing.kind} {missing.name} has keys {keys})"
        cites.append(cite_object(existing))
    close = [] if missing.key else _close_names(facts, missing.kind, namespace, missing.name)
    if close:
        explanation += f"; similar names in the namespace: {', '.join(close)}"
    explanation += ". Create it, or fix the reference in the workload."
    if workload.kind != "Pod":
        # the pod template's line that holds the reference (env, envFrom or volume) proves where it is
        cites.append(cite_ref(workload, key=reference_key(missing.kind, missing.name, missing.key)))
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
    return Candidate(
        title=f"{workload.name} cannot start: {what} not found",
        category=Category.MissingConfig,
        resource=workload,
        confidence=0.9,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(pod) for pod in pods],
        severity=outage_severity(facts, workload),
        next_steps=[
            NextStep(
                description=f"Check what exists in namespace {namespace}",
                command=f"kubectl -n {namespace} get {missing.kind.lower()}s",
            ),
            NextStep(description=f"Fix the reference to {what}", command=kubectl(workload, "edit")),
        ],
    )


def _other_candidate(
    facts: Facts, workload: ResourceRef, message: str, cites: list[Cite], pods: list[dict[str, Any]]
) -> Candidate:
    """CreateContainerConfigError that is not a missing reference (e.g. runAsNonRoot with a root image)."""
    return Candidate(
        title=f"{workload.name} cannot create its container: {message or 'CreateContainerConfigError'}",
        category=Category.Other,
        resource=workload,
        confidence=0.75,
        explanation=f"The kubelet refuses to create the container of {workload}: {message}.",
        cites=cites,
        affected=[pod_ref(pod) for pod in pods],
        severity=outage_severity(facts, workload),
        next_steps=[NextStep(description="Fix the pod template", command=kubectl(workload, "edit"))],
    )


def _missing_service_accounts(facts: Facts) -> list[Candidate]:
    """ReplicaSet/StatefulSet/DaemonSet/Job FailedCreate: ``serviceaccount "x" not found`` (no pods exist)."""
    candidates, seen = [], set()
    for failure in create_failures(facts):
        missing = parse(failure.message)
        if not missing or missing.kind != "ServiceAccount":
            continue
        namespace, owner_name, owner = failure.namespace, failure.name, failure.owner
        workload = (
            owner_workload(facts, owner)
            if owner is not None
            else ResourceRef(kind=failure.kind, namespace=namespace, name=owner_name)
        )
        if (workload.kind, workload.name) in seen or _exists(
            facts, "ServiceAccount", namespace, missing.name
        ):
            continue
        seen.add((workload.kind, workload.name))
        cites = list(failure.cites)
        if workload.kind != "Pod":
            cites.append(cite_ref(workload, key=printed_key("service-account", missing.name)))
        stuck = rollout_stuck_cite(facts, workload)
        if stuck:
            cites.append(stuck)
        candidates.append(
            Candidate(
                title=f"{workload.name} creates no pods: ServiceAccount {missing.name} not found",
                category=Category.MissingConfig,
                resource=workload,
                confidence=0.9,
                explanation=(
                    f"{failure.kind} {owner_name} fails to create pods because the ServiceAccount "
                    f"{missing.name} it names does not exist in {namespace}; no pod exists at all."
                ),
                cites=cites,
                affected=[ResourceRef(kind=failure.kind, namespace=namespace, name=owner_name)],
                severity=3,
                next_steps=[
                    NextStep(
                        description="List ServiceAccounts",
                        command=f"kubectl -n {namespace} get serviceaccounts",
                    ),
                    NextStep(description="Fix serviceAccountName", command=kubectl(workload, "edit")),
                ],
            )
        )
    return candidates
