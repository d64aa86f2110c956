"""ProbeFailure: liveness/readiness/startup probes failing, or pointed at a port the container lacks.

Evidence, from state first: a container killed after about its liveness probe's failure window (exit
137/143), or running past its readiness window and still not ready, and the probe spec against the
container's declared ports; then recent Unhealthy events ("Liveness probe failed: ... connection
refused") and Killing events ("Container api failed liveness probe, will be restarted") while they last.
An old Unhealthy event on a pod that is Ready now is history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import condition, on_unready_node, pod_is_ready
from app.diagnose.state_facts import liveness_kill, probe_port_mismatch, readiness_failing
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    container_statuses,
    event_message,
    group_by_workload,
    kubectl,
    outage_severity,
    pod_healthy,
    pod_key,
    pod_ref,
    recent_events_by_object,
    ref_from_key,
    restarted_recently,
    rollout_stuck_cite,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of
from tools.contracts.printed import printed_key
from tools.contracts.wording import noun_for, plural, verb

PROBE_FAILED = re.compile(r"^(Liveness|Readiness|Startup) probe failed")
KILLED = re.compile(
    r"Container (?P<container>\S+) failed (?P<probe>liveness|startup) probe, will be restarted"
)


@dataclass
class ProbeTrouble:
    pod: dict[str, Any]
    probes: set[str] = field(default_factory=set)  # Liveness, Readiness, Startup
    events: list[dict[str, Any]] = field(default_factory=list)
    killed: bool = False
    misconfig: str = ""
    state: list[str] = field(default_factory=list)  # what the container states show, without events
    cites: list[Cite] = field(default_factory=list)


def analyze(facts: Facts) -> list[Candidate]:
    troubles: dict[tuple[str, str], ProbeTrouble] = {}
    index = recent_events_by_object(facts, {"Unhealthy", "Killing"})
    for pod in facts.of_kind("Pod"):
        events = index.get(pod_key(pod)) or []
        trouble = _trouble(facts, pod, events)
        if trouble:
            troubles[pod_key(pod)] = trouble
    pods = [trouble.pod for trouble in troubles.values()]
    return [
        _candidate(facts, ref_from_key(key), [troubles[pod_key(pod)] for pod in group])
        for key, group in group_by_workload(facts, pods).items()
    ]


def _trouble(facts: Facts, pod: dict[str, Any], events: list[dict[str, Any]]) -> ProbeTrouble | None:
    trouble = ProbeTrouble(pod)
    for event in events:
        message = event_message(event)
        probe = PROBE_FAILED.match(message)
        killed = KILLED.search(message)
        if probe:
            trouble.probes.add(probe.group(1))
            trouble.events.append(event)
        elif killed:
            trouble.killed = True
            trouble.probes.add(killed["probe"].capitalize())
            trouble.events.append(event)
    if not pod_healthy(facts, pod) and not on_unready_node(facts, pod):  # a dead node is the nodes analyzer's
        _from_state(facts, pod, trouble)
    if not trouble.events and not trouble.state:
        return None
    if pod_healthy(facts, pod):
        # Ready now and no recent restart: a few failed checks are noise unless they keep coming.
        total = sum(int(event.get("count") or 1) for event in trouble.events)
        if total < 5:
            return None
    trouble.misconfig = probe_port_mismatch(pod, trouble.probes)
    return trouble


def _from_state(facts: Facts, pod: dict[str, Any], trouble: ProbeTrouble) -> None:
    for status in container_statuses(pod, init=False):
        killed = liveness_kill(pod, status) if restarted_recently(facts, status) else ""
        unready = readiness_failing(pod, status, facts.now)
        if killed:
            trouble.killed = True
            trouble.probes.add("Liveness")
            trouble.state.append(killed)
            trouble.cites.append(
                cite_object(pod, kind="Pod", key=printed_key("restarts", status.get("name")))
            )
        elif unready:
            trouble.probes.add("Readiness")
            trouble.state.append(unready)
            ready = condition(pod, "Ready") or {}
            trouble.cites.append(cite_object(pod, ready.get("message") or "Ready=False", "Pod"))


def _candidate(facts: Facts, workload: ResourceRef, troubles: list[ProbeTrouble]) -> Candidate:
    primary = next((t for t in troubles if t.misconfig), next((t for t in troubles if t.killed), troubles[0]))
    probes = sorted({probe for t in troubles for probe in t.probes})
    killed = any(t.killed for t in troubles)
    restarts = max(
        (int(s.get("restartCount") or 0) for t in troubles for s in container_statuses(t.pod, init=False)),
        default=0,
    )
    not_ready = sum(1 for t in troubles if not pod_is_ready(t.pod))
    cites: list[Cite] = list(primary.cites)
    seen = set()
    for event in primary.events:
        text = event_message(event)
        kind = "killed" if KILLED.search(text) else text.split(" ")[0]
        if kind not in seen:
            seen.add(kind)
            cites.append(cite_event(event))
    failure = next((event_message(e) for e in primary.events if PROBE_FAILED.match(event_message(e))), "")
    failure = failure or "; ".join(primary.state)
    explanation = (
        f"The {' and '.join(p.lower() for p in probes)} {noun_for(len(probes), 'probe')} of {workload} "
        + verb(len(probes), "fails", "fail")
        + (f" ({failure})" if failure else "")
        + (f"; the kubelet restarts the container (restarts: {restarts})" if killed else "")
        + (f"; {plural(not_ready, 'pod')} {verb(not_ready, 'is', 'are')} not ready" if not_ready else "")
        + "."
    )
    if primary.misconfig:
        explanation += f" The probe is misconfigured: {primary.misconfig}."
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
    title_what = primary.misconfig or f"{' and '.join(p.lower() for p in probes)} probe failing"
    return Candidate(
        title=f"{workload.name}: {title_what}",
        category=Category.ProbeFailure,
        resource=workload,
        confidence=0.9 if primary.misconfig else (0.8 if killed else 0.7),
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(t.pod) for t in troubles],
        severity=outage_severity(facts, workload) if (killed or not_ready) else 1,
        next_steps=[
            NextStep(
                description="See the probe definition and its recent failures",
                command=f"kubectl -n {workload.namespace} describe pod {name_of(primary.pod)}",
            ),
            NextStep(description="Fix the probe (port, path, timeouts)", command=kubectl(workload, "edit")),
        ],
    )
