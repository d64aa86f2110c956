"""CPUThrottling: a CPU limit throttles a container enough to slow it down.

Evidence: ``cpu_throttling`` (throttled / total CFS periods over 5 m, the kubernetes-mixin ratio) above 25%
for most of the last 15 minutes, the container's CPU limit, and ``http_latency_p95`` of the Services in front
of the pods rising at the same time. Throttling that has since stopped is history.
"""

from __future__ import annotations

from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import workload_of
from app.diagnose.series import label, sustained_above, window
from app.diagnose.service_facts import services_selecting
from app.diagnose.workload_facts import cite_metric, cite_object, container_spec, kubectl
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import meta
from tools.contracts.wording import plural

THRESHOLD = 0.25  # kubernetes-mixin CPUThrottlingHigh


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def latency_rising(facts: Facts, namespace: str, service: str) -> dict[str, Any] | None:
    """The service's p95 latency series when its last 15 minutes run clearly above the hour before."""
    for series in facts.metrics.get("http_latency_p95", []):
        if label(series, "namespace") != namespace or label(series, "service") != service:
            continue
        recent = window(series, facts.now, 15)
        earlier = window(series, facts.now, 120)[: -len(recent) or None]
        if (
            recent
            and earlier
            and _mean(recent) > 1.5 * _mean(earlier)
            and _mean(recent) - _mean(earlier) > 0.05
        ):
            return series
    return None


def analyze(facts: Facts) -> list[Candidate]:
    groups: dict[tuple, dict[str, Any]] = {}
    for series in facts.metrics.get("cpu_throttling", []):
        if not sustained_above(series, facts.now, THRESHOLD):
            continue
        namespace, pod_name, container = (
            label(series, "namespace"),
            label(series, "pod"),
            label(series, "container"),
        )
        pod = facts.find("Pod", namespace, pod_name)
        workload = (
            workload_of(facts, pod) if pod else ResourceRef(kind="Pod", namespace=namespace, name=pod_name)
        )
        key = (workload.kind, workload.namespace, workload.name, container)
        group = groups.setdefault(key, {"workload": workload, "pods": [], "peak": 0.0, "pod_objs": []})
        group["pods"].append(pod_name)
        group["peak"] = max(group["peak"], _mean(window(series, facts.now, 15)))
        if pod:
            group["pod_objs"].append(pod)
    candidates = []
    for (_, namespace, _, container), group in sorted(groups.items(), key=lambda item: str(item[0])):
        workload: ResourceRef = group["workload"]
        limit = None
        cites: list[Cite] = [cite_metric("cpu_throttling", group["pods"][0])]
        for pod in group["pod_objs"][:1]:
            spec = container_spec(pod, container) or {}
            limit = ((spec.get("resources") or {}).get("limits") or {}).get("cpu")
        workload_obj = facts.find(workload.kind, workload.namespace, workload.name)
        if workload_obj is not None and limit:
            cites.append(cite_object(workload_obj, workload.name, workload.kind))
        slow = []
        for pod in group["pod_objs"][:1]:
            for service in services_selecting(facts, pod):
                name = meta(service).get("name", "")
                if latency_rising(facts, namespace, name) is not None:
                    slow.append(name)
                    cites.append(cite_metric("http_latency_p95", name))
        limit_text = f"its CPU limit of {limit}" if limit else "its CPU limit"
        candidates.append(
            Candidate(
                title=f"{workload.name} is CPU-throttled ({group['peak']:.0%} of periods) by {limit_text}",
                category=Category.CPUThrottling,
                resource=workload,
                confidence=0.85 if slow and limit else (0.7 if limit else 0.55),
                explanation=(
                    f"Container {container} of {workload} spends {group['peak']:.0%} of its CFS periods "
                    f"throttled over the last 15 minutes (alert level 25%) on "
                    f"{plural(len(group['pods']), 'pod')}, "
                    f"held back by {limit_text}."
                    + (f" p95 latency of Service {', '.join(slow)} rose at the same time." if slow else "")
                    + " Raise or remove the CPU limit (keep the request), or add replicas."
                ),
                cites=cites,
                affected=[ResourceRef(kind="Service", namespace=namespace, name=name) for name in slow],
                severity=2 if slow else 1,
                next_steps=[
                    NextStep(
                        description="See CPU usage against the limit",
                        command=f"kubectl -n {namespace} top pod {group['pods'][0]} --containers",
                    ),
                    NextStep(description="Raise the CPU limit", command=kubectl(workload, "edit")),
                ],
            )
        )
    return candidates
