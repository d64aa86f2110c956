"""Other: pod creation denied by an admission webhook or Pod Security admission (no pods exist).

Evidence: the controller's FailedCreate event, e.g. `admission webhook "validation.gatekeeper.sh" denied
the request: ...` or `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false ...`.
Quota, LimitRange and missing-ServiceAccount rejections have their own analyzers.
"""

from __future__ import annotations

import re

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.workload_facts import (
    cite_event,
    event_message,
    find,
    key_of,
    kubectl,
    outage_severity,
    owner_workload,
    recent_events,
    rollout_stuck_cite,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef

WEBHOOK = re.compile(r'admission webhook "(?P<name>[^"]+)" denied the request')
POD_SECURITY = re.compile(r'violates PodSecurity "(?P<name>[^"]+)"')


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for event in recent_events(facts, {"FailedCreate"}):
        message = event_message(event)
        match = WEBHOOK.search(message) or POD_SECURITY.search(message)
        if not match:
            continue
        involved = event.get("involvedObject") or {}
        namespace = involved.get("namespace")
        owner = find(facts, involved.get("kind", ""), namespace, involved.get("name", ""))
        workload = (
            owner_workload(facts, owner)
            if owner is not None
            else ResourceRef(
                kind=involved.get("kind", ""), namespace=namespace, name=involved.get("name", "")
            )
        )
        if key_of(workload) in candidates:
            continue
        by = (
            f"admission webhook {match['name']}"
            if "webhook" in match.group(0)
            else f"Pod Security {match['name']}"
        )
        cites = [cite_event(event)]
        stuck = rollout_stuck_cite(facts, workload)
        if stuck:
            cites.append(stuck)
        candidates[key_of(workload)] = Candidate(
            title=f"{workload.name} creates no pods: denied by {by}",
            category=Category.Other,
            resource=workload,
            confidence=0.85,
            explanation=f"The controller of {workload} cannot create pods: {message}",
            cites=cites,
            affected=[
                ResourceRef(kind=involved.get("kind", ""), namespace=namespace, name=involved.get("name", ""))
            ],
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
