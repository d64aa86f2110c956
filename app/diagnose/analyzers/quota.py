"""QuotaExceeded: a ResourceQuota or LimitRange rejects pod creation, so no pod exists at all.

Evidence: the ReplicaSet's ReplicaFailure condition (state, kept after the events expire) and the
controller's FailedCreate event on the ReplicaSet/StatefulSet/DaemonSet/Job, e.g.
`Error creating: pods "api-6d..." is forbidden: exceeded quota: compute-quota, requested:
limits.memory=1Gi, used: limits.memory=7680Mi, limited: limits.memory=8Gi`, or a LimitRange's
`maximum memory usage per Container is 1Gi, but limit is 2Gi`. Looking only at pods finds nothing here.
"""

from __future__ import annotations

import re
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.state_facts import create_failures, since_text
from app.diagnose.workload_facts import (
    cite_object,
    find,
    key_of,
    kubectl,
    outage_severity,
    owner_workload,
    rollout_stuck_cite,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of

EXCEEDED = re.compile(
    r"exceeded quota: (?P<quota>[^,\s]+), requested: (?P<requested>.*?), used: (?P<used>.*?), "
    r"limited: (?P<limited>.*)$"
)
FAILED_QUOTA = re.compile(r"failed quota: (?P<quota>[^:\s]+): must specify (?P<what>.*)$")
LIMIT_RANGE = re.compile(
    r"(?P<bound>maximum|minimum) (?P<resource>[\w.-]+) usage per "
    r"(?P<scope>Container|Pod|PersistentVolumeClaim) "
    r"is (?P<allowed>\S+?),? but (?:limit|request) is (?P<asked>[^.\]\s]+)"
)


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for failure in create_failures(facts):
        message, namespace, owner = failure.message, failure.namespace, failure.owner
        if owner is not None and _all_created(owner):
            continue  # the controller caught up since: history
        workload = (
            owner_workload(facts, owner)
            if owner is not None
            else ResourceRef(kind=failure.kind, namespace=namespace, name=failure.name)
        )
        candidate = _quota(facts, failure.cites, message, namespace, workload) or _limit_range(
            facts, failure.cites, message, namespace, workload
        )
        if candidate is not None and failure.since:
            candidate.explanation += f" Failing{since_text(failure.since)}."
        if candidate and key_of(candidate.resource) not in candidates:
            candidates[key_of(candidate.resource)] = candidate
        elif candidate:
            known = candidates[key_of(candidate.resource)]
            known.affected.extend(ref for ref in candidate.affected if ref not in known.affected)
    return list(candidates.values())


def _all_created(owner: dict[str, Any]) -> bool:
    wanted = (owner.get("spec") or {}).get("replicas")
    have = (owner.get("status") or {}).get("replicas")
    return wanted is not None and have is not None and int(have) >= int(wanted) and int(wanted) > 0


def _quota(facts: Facts, found: list[Cite], message: str, namespace, workload) -> Candidate | None:
    exceeded, missing = EXCEEDED.search(message), FAILED_QUOTA.search(message)
    match = exceeded or missing
    if not match:
        return None
    name = match["quota"]
    quota = ResourceRef(kind="ResourceQuota", namespace=namespace, name=name)
    cites: list[Cite] = list(found)
    obj = find(facts, "ResourceQuota", namespace, name)
    if obj is not None:
        cites.append(cite_object(obj, name, "ResourceQuota"))
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
    if exceeded:
        used, limited = exceeded["used"], exceeded["limited"]
        why = f"it requests {exceeded['requested']} while {used} of {limited} is already used"
        title = f"ResourceQuota {name} is exhausted: {workload.name} cannot create pods"
    else:
        why = f"the quota requires every pod to specify {missing['what']}, and the pod template does not"
        title = f"ResourceQuota {name} rejects {workload.name}'s pods: must specify {missing['what']}"
    return Candidate(
        title=title,
        category=Category.QuotaExceeded,
        resource=quota,
        confidence=0.95,
        explanation=(
            f"The controller of {workload} cannot create pods: ResourceQuota {namespace}/{name} forbids it: "
            f"{why}. No pod of it exists, so pod-level checks show nothing."
        ),
        cites=cites,
        affected=[workload],
        severity=outage_severity(facts, workload),
        next_steps=[
            NextStep(
                description="See used vs hard",
                command=f"kubectl -n {namespace} describe resourcequota {name}",
            ),
            NextStep(description="Raise the quota or free resources", command=kubectl(quota, "edit")),
        ],
    )


def _limit_range(facts: Facts, found: list[Cite], message: str, namespace, workload) -> Candidate | None:
    match = LIMIT_RANGE.search(message)
    if not match:
        return None
    ranges = sorted(facts.of_kind("LimitRange", namespace), key=name_of)
    chosen = next(
        (r for r in ranges if _limits_resource(r, match["resource"])), ranges[0] if ranges else None
    )
    culprit = (
        ResourceRef(kind="LimitRange", namespace=namespace, name=name_of(chosen))
        if chosen is not None
        else workload
    )
    cites: list[Cite] = list(found)
    if chosen is not None:
        cites.append(cite_object(chosen, name_of(chosen), "LimitRange"))
    return Candidate(
        title=f"LimitRange rejects {workload.name}'s pods: {match['bound']} {match['resource']} per "
        f"{match['scope']} is {match['allowed']}, pod asks {match['asked']}",
        category=Category.QuotaExceeded,
        resource=culprit,
        confidence=0.9,
        explanation=(
            f"The controller of {workload} cannot create pods: the namespace's LimitRange allows a "
            f"{match['bound']} of {match['allowed']} {match['resource']} per {match['scope']}, and the pod "
            f"template asks for {match['asked']}. Change the template or the LimitRange."
        ),
        cites=cites,
        affected=[workload],
        severity=outage_severity(facts, workload),
        next_steps=[
            NextStep(
                description="See the namespace limits", command=f"kubectl -n {namespace} describe limitrange"
            ),
            NextStep(description="Fit the pod template to the limits", command=kubectl(workload, "edit")),
        ],
    )


def _limits_resource(limit_range: dict[str, Any], resource: str) -> bool:
    for item in (limit_range.get("spec") or {}).get("limits") or []:
        for bound in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            if resource in (item.get(bound) or {}):
                return True
    return False
