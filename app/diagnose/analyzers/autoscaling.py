"""AutoscalingLimit: an HPA pinned at maxReplicas while it wants more, or unable to read its metric.

Evidence: autoscaling/v2 status, v1 as ``tools.contracts.kube.hpa`` converts it (currentReplicas vs
spec.maxReplicas, currentMetrics vs targets), conditions
``ScalingLimited=True TooManyReplicas`` and ``ScalingActive=False FailedGetResourceMetric``, recent
``FailedGetResourceMetric`` events ("missing request for cpu in container app of Pod ..."), and the target
pods' resource requests. Conditions are the current state: an old event under healthy conditions is history.
"""

from __future__ import annotations

from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import condition, ref_of
from app.diagnose.workload_facts import cite_event, cite_object, events_about, kubectl, pods_of
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.hpa import as_v2
from tools.contracts.kube.objects import meta
from tools.contracts.wording import noun_for, verb

METRIC_FAILURES = {
    "FailedGetResourceMetric",
    "FailedGetPodsMetric",
    "FailedGetObjectMetric",
    "FailedGetExternalMetric",
    "FailedGetContainerResourceMetric",
    "InvalidSelector",
    "FailedComputeMetricsReplicas",
}


def _target(hpa: dict[str, Any]) -> ResourceRef:
    target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return ResourceRef(
        kind=target.get("kind", "Deployment"),
        namespace=meta(hpa).get("namespace"),
        name=target.get("name", ""),
    )


def _metric_text(hpa: dict[str, Any]) -> str:
    """ "cpu 96% of requests (target 70%)" for Resource metrics in status.currentMetrics."""
    targets = {}
    for metric in (hpa.get("spec") or {}).get("metrics") or []:
        resource = metric.get("resource") or metric.get("containerResource") or {}
        target = resource.get("target") or {}
        if resource.get("name"):
            targets[resource["name"]] = target.get("averageUtilization") or target.get("averageValue")
    texts = []
    for metric in (hpa.get("status") or {}).get("currentMetrics") or []:
        resource = metric.get("resource") or metric.get("containerResource") or {}
        current = resource.get("current") or {}
        value = current.get("averageUtilization")
        shown = f"{value}%" if value is not None else current.get("averageValue")
        if resource.get("name") and shown is not None:
            wanted = targets.get(resource["name"])
            target_text = f"{wanted}%" if isinstance(wanted, int) else wanted
            texts.append(f"{resource['name']} at {shown} (target {target_text})")
    return ", ".join(texts)


def _missing_requests(facts: Facts, target: ResourceRef, resource: str) -> list[str]:
    """Containers of the target's pods (or pod template) with no request for ``resource``."""
    pods = pods_of(facts, target)
    if pods:
        specs = [(p.get("spec") or {}).get("containers") or [] for p in pods[:1]]
    else:
        workload = facts.find(target.kind, target.namespace, target.name)
        template = (((workload or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
        specs = [template.get("containers") or []] if workload else []
    missing = []
    for containers in specs:
        for container in containers:
            if resource not in ((container.get("resources") or {}).get("requests") or {}):
                missing.append(container.get("name", "?"))
    return missing


def _steps(ref: ResourceRef) -> list[NextStep]:
    return [NextStep(description="Read the HPA's conditions and events", command=kubectl(ref, "describe"))]


def _at_max(facts: Facts, hpa: dict[str, Any]) -> Candidate | None:
    limited = condition(hpa, "ScalingLimited")
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    maximum = spec.get("maxReplicas")
    current = status.get("currentReplicas") or 0
    if not limited or limited.get("status") != "True" or limited.get("reason") != "TooManyReplicas":
        return None
    if maximum is None or current < maximum:
        return None
    ref = ref_of(hpa, "HorizontalPodAutoscaler")
    target = _target(hpa)
    metrics = _metric_text(hpa)
    return Candidate(
        title=f"HPA {ref.name} is at its maximum of {maximum} replicas and wants more",
        category=Category.AutoscalingLimit,
        resource=ref,
        confidence=0.85,
        explanation=(
            f"HorizontalPodAutoscaler {ref.namespace}/{ref.name} runs {target} at {current}/{maximum} "
            f"replicas "
            f"and reports ScalingLimited (TooManyReplicas: {limited.get('message', '')})"
            + (f"; {metrics}" if metrics else "")
            + ". The load needs more replicas than allowed: raise maxReplicas, add capacity or make each "
            "replica cheaper."
        ),
        cites=[cite_object(hpa, "TooManyReplicas", "HorizontalPodAutoscaler")],
        affected=[target],
        severity=2,
        next_steps=[
            *_steps(ref),
            NextStep(description="Raise maxReplicas if the cluster has room", command=kubectl(ref, "edit")),
        ],
    )


def _metric_failure(facts: Facts, hpa: dict[str, Any]) -> Candidate | None:
    active = condition(hpa, "ScalingActive")
    ref = ref_of(hpa, "HorizontalPodAutoscaler")
    events = events_about(facts, "HorizontalPodAutoscaler", ref.namespace, ref.name, METRIC_FAILURES)
    failing_now = bool(active) and active.get("status") == "False" and active.get("reason") in METRIC_FAILURES
    if not failing_now and not (events and active is None):
        return None
    message = (active or {}).get("message") or (events[0].get("message") if events else "") or ""
    target = _target(hpa)
    cites: list[Cite] = []
    if failing_now:
        cites.append(cite_object(hpa, active.get("reason", ""), "HorizontalPodAutoscaler"))
    cites.extend(cite_event(e) for e in events[:1])
    resource = "memory" if "memory" in message else "cpu"
    missing = _missing_requests(facts, target, resource)
    if "missing request" not in message and "utilization" not in message:
        missing = []  # another metric failure (adapter, selector): requests are not the point
    if missing:
        cause = (
            f"{noun_for(len(missing), 'container')} {', '.join(missing)} of {target} "
            f"{verb(len(missing), 'sets', 'set')} no {resource} request"
        )
    else:
        cause = "the metrics API returns nothing for its pods (metrics-server or its adapter is failing)"
    workload_step = NextStep(
        description=f"Set {resource} requests on the containers", command=kubectl(target, "edit")
    )
    return Candidate(
        title=f"HPA {ref.name} cannot read its {resource} metric: {cause}",
        category=Category.AutoscalingLimit,
        resource=ref,
        confidence=0.85,
        explanation=(
            f"HorizontalPodAutoscaler {ref.namespace}/{ref.name} cannot compute a replica count for {target} "
            f"({message}); it will not scale. Cause: {cause}."
        ),
        cites=cites,
        affected=[target],
        severity=2,
        next_steps=[*_steps(ref), workload_step]
        if missing
        else [
            *_steps(ref),
            NextStep(
                description="Check the resource metrics API",
                command="kubectl top pods -n " + (ref.namespace or "default"),
            ),
        ],
    )


def analyze(facts: Facts) -> list[Candidate]:
    candidates: list[Candidate] = []
    for served in facts.of_kind("HorizontalPodAutoscaler"):
        hpa = as_v2(served)  # autoscaling/v1 keeps its conditions in annotations
        for check in (_metric_failure, _at_max):
            found = check(facts, hpa)
            if found is not None:
                candidates.append(found)
    return candidates
