"""OOMKilled: containers killed for exceeding their memory limit, with the working set climbing to it.

Evidence: lastState.terminated.reason OOMKilled / exit 137 (recent), the ``memory_working_set_ratio``
series (working set / limit) reaching 1 before the kill, and the limit from the container spec. A working
set pinned at the limit with no kill yet is a warning of the same kind.
"""

from __future__ import annotations

from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import is_recent
from app.diagnose.workload_facts import (
    cite_metric,
    cite_object,
    container_spec,
    container_statuses,
    current_terminated,
    find,
    group_by_workload,
    key_of,
    kubectl,
    last_terminated,
    outage_severity,
    owner_workload,
    pod_key,
    pod_ref,
    ref_from_key,
    rollout_stuck_cite,
    waiting,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.wording import plural, verb

METRIC = "memory_working_set_ratio"
NEAR_LIMIT = 0.95  # a working set this close to the limit is one allocation away from a kill


def analyze(facts: Facts) -> list[Candidate]:
    killed: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for pod in facts.of_kind("Pod"):
        for status in container_statuses(pod):
            if _recent_oom(facts, status):
                killed.setdefault(pod_key(pod), []).append((pod, status))
    pods = [hits[0][0] for hits in killed.values()]
    candidates = []
    seen: set[tuple[str, str, str]] = set()
    for key, group in group_by_workload(facts, pods).items():
        workload = ref_from_key(key)
        seen.add(key)
        candidates.append(
            _killed_candidate(facts, workload, [hit for pod in group for hit in killed[pod_key(pod)]])
        )
    candidates.extend(_near_limit_candidates(facts, seen))
    return candidates


def _recent_oom(facts: Facts, status: dict[str, Any]) -> bool:
    for terminated in (current_terminated(status), last_terminated(status)):
        if terminated.get("reason") == "OOMKilled":
            when = terminated.get("finishedAt") or terminated.get("startedAt")
            # Old kill: history, unless the container is still backing off from it.
            return is_recent(when, facts.now) or bool(waiting(status))
    return False


def _series_for(facts: Facts, namespace: str, pod: str, container: str) -> list[float]:
    for series in facts.metrics.get(METRIC, []):
        labels = series.get("metric") or {}
        same_pod = labels.get("namespace") == namespace and labels.get("pod") == pod
        if same_pod and labels.get("container") in (None, "", container):
            return [float(value) for _, value in series.get("values") or []]
    return []


def _memory_limit(pod: dict[str, Any], container: str) -> str | None:
    spec = container_spec(pod, container) or {}
    return ((spec.get("resources") or {}).get("limits") or {}).get("memory")


def _killed_candidate(
    facts: Facts, workload: ResourceRef, hits: list[tuple[dict[str, Any], dict[str, Any]]]
) -> Candidate:
    pod, status = hits[0]
    namespace, container = namespace_of(pod) or "", status.get("name", "")
    limit = _memory_limit(pod, container)
    restarts = int(status.get("restartCount") or 0)
    cites: list[Cite] = [cite_object(pod, "OOMKilled", "Pod")]
    affected = {name_of(p) for p, _ in hits}
    explanation = (
        f"Container {container} of pod {name_of(pod)} was killed for exceeding its memory limit"
        f"{f' of {limit}' if limit else ''} (OOMKilled, exit code 137) and has restarted "
        f"{plural(restarts, 'time')}"
        f"; {plural(len(affected), 'pod')} of {workload} {verb(len(affected), 'is', 'are')} affected."
    )
    confidence = 0.85
    values = _series_for(facts, namespace, name_of(pod), container)
    if values:
        peak, start = max(values), values[0]
        if peak >= 0.9:
            confidence = 0.95
            cites.append(cite_metric(METRIC, name_of(pod)))
            explanation += (
                f" Its working set climbed from {start:.0%} to {peak:.0%} of the limit before the kill, "
                "so the limit is too low for its load (or it leaks memory)."
            )
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
    return Candidate(
        title=f"{workload.name} is OOM-killed: container {container} exceeds its memory limit"
        + (f" ({limit})" if limit else ""),
        category=Category.OOMKilled,
        resource=workload,
        confidence=confidence,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(p) for p, _ in hits],
        severity=outage_severity(facts, workload) if waiting(status) or restarts >= 3 else 2,
        next_steps=_steps(workload, namespace, name_of(pod)),
    )


def _near_limit_candidates(facts: Facts, seen: set[tuple[str, str, str]]) -> list[Candidate]:
    candidates = []
    for series in facts.metrics.get(METRIC, []):
        labels = series.get("metric") or {}
        values = [float(value) for _, value in series.get("values") or []]
        if not values or values[-1] < NEAR_LIMIT:
            continue
        namespace, pod_name = labels.get("namespace", ""), labels.get("pod", "")
        pod = find(facts, "Pod", namespace, pod_name)
        workload = (
            owner_workload(facts, pod) if pod else ResourceRef(kind="Pod", namespace=namespace, name=pod_name)
        )
        if key_of(workload) in seen:
            continue
        seen.add(key_of(workload))
        candidates.append(
            Candidate(
                title=f"{workload.name} is at its memory limit ({values[-1]:.0%} of the limit in use)",
                category=Category.OOMKilled,
                resource=workload,
                confidence=0.45,
                explanation=(
                    f"Container {labels.get('container', '?')} of pod {pod_name} uses {values[-1]:.0%} "
                    "of its memory limit; the next allocation spike gets it OOM-killed."
                ),
                cites=[cite_metric(METRIC, pod_name)],
                affected=[ResourceRef(kind="Pod", namespace=namespace, name=pod_name)],
                severity=1,
                next_steps=_steps(workload, namespace, pod_name),
            )
        )
    return candidates


def _steps(workload: ResourceRef, namespace: str, pod: str) -> list[NextStep]:
    return [
        NextStep(
            description="See current memory use per container",
            command=f"kubectl -n {namespace} top pod {pod} --containers",
        ),
        NextStep(description="Raise the memory limit (or fix the leak)", command=kubectl(workload, "edit")),
    ]
