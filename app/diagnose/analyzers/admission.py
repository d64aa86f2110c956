"""Other: pod creation denied by an admission webhook or Pod Security admission (no pods exist).

Evidence: the ReplicaSet's ReplicaFailure condition and the controller's FailedCreate event, e.g.
`admission webhook "validation.gatekeeper.sh" denied the request: ...` or
`violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false ...`.
Quota, LimitRange and missing-ServiceAccount rejections have their own analyzers.
"""

from __future__ import annotations

import re

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.state_facts import create_failures, since_text
from app.diagnose.workload_facts import (
    key_of,
    kubectl,
    outage_severity,
    owner_workload,
    rollout_stuck_cite,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef

WEBHOOK = re.compile(r'admission webhook "(?P<name>[^"]+)" denied the request')
POD_SECURITY = re.compile(r'violates PodSecurity "(?P<name>[^"]+)"')


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for failure in create_failures(facts):
        message, namespace, owner = failure.message, failure.namespace, failure.owner
        match = WEBHOOK.search(message) or POD_SECURITY.search(message)
        if not match:
            continue
        workload = (
            owner_workload(facts, owner)
            if owner is not None
            else ResourceRef(kind=failure.kind, namespace=namespace, name=failure.name)
        )
        if key_of(workload) in candidates:
            continue
        by = (
            f"admission webhook {match['name']}"
            if "webhook" in match.group(0)
            else f"Pod Security {match['name']}"
        )
        cites = list(failure.cites)
        stuck = rollout_stuck_cite(facts, workload)
        if stuck:
            cites.append(stuck)
        candidates[key_of(workload)] = Candidate(
            title=f"{workload.name} creates no pods: denied by {by}",
            category=Category.Other,
            resource=workload,
            confidence=0.85,
            explanation=(
                f"The controller of {workload} cannot create pods{since_text(failure.since)}: {message}"
            ),
            cites=cites,
            affected=[ResourceRef(kind=failure.kind, namespace=namespace, name=failure.name)],
            severity=outage_severity(facts, workload),
            next_steps=[
                NextStep(
                    description="Read the denial",
                    command=f"kubectl -n {namespace} get events --field-selector reason=FailedCreate",
                ),
                NextStep(
                    description="Make the pod template comply with the policy",
                    command=kubectl(workload, "edit"),
                ),
            ],
        )
    return list(candidates.values())
