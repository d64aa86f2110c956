"""ServiceNoEndpoints: a Service whose selector matches no ready pod, and which label differs.

Evidence: the Service's selector against pod and pod-template labels in its namespace, its EndpointSlices
(no ready endpoint), and clients complaining (ingress-nginx: ``Service "shop/api" does not have any
active Endpoint.``). When pods do match but none is ready, the pods are the cause: the finding is then a
low-confidence pointer, and the workload analyzers name the real culprit.
"""

from __future__ import annotations

import re
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import on_unready_node, ref_of, workload_of
from app.diagnose.log_facts import log_lines
from app.diagnose.service_facts import (
    WORKLOAD_TEMPLATE_KINDS,
    endpoint_state,
    near_misses,
    routes_to_pods,
    selected_pods,
    service_selector,
    service_selector_text,
    template_labels,
)
from app.diagnose.workload_facts import cite_log, cite_object, kubectl, pod_ref
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.ingress import backend_services
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.kube.selectors import map_matches
from tools.contracts.printed import printed_key
from tools.contracts.wording import noun_for, plural, verb

_NO_ENDPOINT = re.compile(r'Service "([^"/]+)/([^"]+)" does not have any active Endpoint')


def _client_complaints(facts: Facts) -> dict[tuple[str, str], list[Cite]]:
    """Ingress controller log lines naming a Service without active endpoints, by (namespace, service)."""
    found: dict[tuple[str, str], list[Cite]] = {}
    for line in log_lines(facts, _NO_ENDPOINT):
        match = _NO_ENDPOINT.search(line.text)
        if match:
            cites = found.setdefault((match.group(1), match.group(2)), [])
            if len(cites) < 2:
                cites.append(
                    cite_log(line.namespace, line.pod, line.container, line.previous, match.group(0))
                )
    return found


def _ingresses_using(facts: Facts, service: dict[str, Any]) -> list[ResourceRef]:
    refs = []
    for ingress in facts.of_kind("Ingress", namespace_of(service)):
        if name_of(service) in backend_services(ingress):
            refs.append(ref_of(ingress, "Ingress"))
    return refs


def _mismatch(facts: Facts, service: dict[str, Any], base: list[Cite], used: bool) -> Candidate:
    svc_ref = ref_of(service, "Service")
    selector = service_selector_text(service)
    misses = near_misses(facts, service)
    cites = [cite_object(service, selector.split(",")[0], "Service"), *base]
    affected: list[ResourceRef] = []
    if misses:
        best = misses[0]
        difference = best.differences[0]
        owner = f"{best.kind} {namespace_of(best.obj)}/{name_of(best.obj)}"
        title = f"Service {svc_ref.name} selects no pods: {difference}"
        explanation = (
            f"Service {svc_ref.namespace}/{svc_ref.name} selects pods with {selector}, but no pod in "
            f"namespace {svc_ref.namespace} has these labels, so it has no endpoints; "
            f"connections to it fail. "
            f"The closest match is {owner}: {'; '.join(best.differences)}. Fix the Service selector (or the "
            f"pod template labels) so they agree."
        )
        # the labels its pods carry, beside the selector, are what proves the mismatch
        cites.append(cite_object(best.obj, kind=best.kind, key=printed_key("pod-labels")))
        affected.append(ResourceRef(kind=best.kind, namespace=namespace_of(best.obj), name=name_of(best.obj)))
        confidence = 0.9
    else:
        title = f"Service {svc_ref.name} selects no pods ({selector})"
        explanation = (
            f"Service {svc_ref.namespace}/{svc_ref.name} selects pods with {selector}, but no pod or "
            f"workload in namespace {svc_ref.namespace} carries these labels, so it has no endpoints."
        )
        confidence = 0.75
    return Candidate(
        title=title,
        category=Category.ServiceNoEndpoints,
        resource=svc_ref,
        confidence=confidence,
        explanation=explanation,
        cites=cites,
        affected=affected,
        severity=3 if used else 2,
        next_steps=[
            NextStep(
                description="Compare the Service selector with the pod labels",
                command=f"kubectl -n {svc_ref.namespace} get pods --show-labels; "
                f"kubectl -n {svc_ref.namespace} get endpointslices "
                f"-l kubernetes.io/service-name={svc_ref.name}",
            ),
            NextStep(description="Fix the Service selector", command=kubectl(svc_ref, "edit")),
        ],
    )


def _scaled_to_zero(facts: Facts, service: dict[str, Any], base: list[Cite]) -> Candidate | None:
    """A workload whose template matches the selector but that runs no replicas (scaled to 0)."""
    for kind in WORKLOAD_TEMPLATE_KINDS:
        for obj in facts.of_kind(kind, namespace_of(service)):
            replicas = (obj.get("spec") or {}).get("replicas")
            if replicas == 0 and map_matches(service_selector(service), template_labels(obj)):
                ref = ref_of(obj, kind)
                return Candidate(
                    title=f"Service {name_of(service)} has no endpoints: {kind} {ref.name} is scaled to 0",
                    category=Category.ServiceNoEndpoints,
                    resource=ref,
                    confidence=0.8,
                    explanation=(
                        f"Service {namespace_of(service)}/{name_of(service)} selects the pods of {kind} "
                        f"{ref.namespace}/{ref.name}, which has replicas: 0, so the Service has no endpoints."
                    ),
                    cites=[
                        cite_object(obj, ref.name, kind),
                        cite_object(service, name_of(service), "Service"),
                        *base,
                    ],
                    affected=[ref_of(service, "Service")],
                    severity=3,
                    next_steps=[
                        NextStep(
                            description=f"Scale {ref.name} back up",
                            command=f"kubectl -n {ref.namespace} scale {kind.lower()} {ref.name} "
                            "--replicas=2",
                        )
                    ],
                )
    return None


def _its_pods(count: int) -> str:
    return "its one pod is" if count == 1 else f"its {count} pods are"


def _not_ready(
    facts: Facts, service: dict[str, Any], pods: list[dict[str, Any]], base: list[Cite]
) -> Candidate:
    svc_ref = ref_of(service, "Service")
    selector = service_selector_text(service)
    owners = list({str(ref): ref for ref in (workload_of(facts, pod) for pod in pods)}.values())
    workloads = sorted(str(ref) for ref in owners)
    down = sorted({(p.get("spec") or {}).get("nodeName") or "" for p in pods if on_unready_node(facts, p)})
    cause = (
        f"; {noun_for(len(down), 'node')} {', '.join(down)} {verb(len(down), 'is', 'are')} not Ready"
        if down
        else ""
    )
    return Candidate(
        title=f"Service {svc_ref.name} has no ready endpoints: {_its_pods(len(pods))} not ready",
        category=Category.ServiceNoEndpoints,
        resource=svc_ref,
        confidence=0.45,
        explanation=(
            f"Service {svc_ref.namespace}/{svc_ref.name} selects {plural(len(pods), 'pod')} of "
            f"{', '.join(workloads)}, "
            f"but none is ready, so it has no ready endpoints. The selector is right; why the pods are not "
            f"ready is the cause{cause}."
        ),
        cites=[cite_object(service, svc_ref.name, "Service"), *[cite_object(p) for p in pods[:2]], *base],
        affected=[],
        severity=2,
        # a symptom: whatever keeps these workloads' pods unready is the cause (a node that is down too)
        depends_on=[*owners, *(pod_ref(p) for p in pods), *(ResourceRef(kind="Node", name=n) for n in down)],
        next_steps=[
            NextStep(
                description="See why the selected pods are not ready",
                command=f"kubectl -n {svc_ref.namespace} get pods -l {selector} -o wide",
            )
        ],
    )


def analyze(facts: Facts) -> list[Candidate]:
    complaints = _client_complaints(facts)
    candidates: list[Candidate] = []
    for service in facts.of_kind("Service"):
        if not routes_to_pods(service):
            continue
        state = endpoint_state(facts, service)
        if state.ready > 0:
            continue  # serving now: any old complaint is history
        key = (namespace_of(service) or "", name_of(service))
        base = list(complaints.get(key, []))
        base.extend(cite_object(s, name_of(s), "EndpointSlice") for s in state.slices[:1])
        used = bool(base) or bool(_ingresses_using(facts, service))
        pods = selected_pods(facts, service)
        if pods:
            candidates.append(_not_ready(facts, service, pods, base))
            continue
        scaled = _scaled_to_zero(facts, service, base)
        if scaled is not None:
            candidates.append(scaled)
            continue
        candidate = _mismatch(facts, service, base, used)
        candidate.affected.extend(_ingresses_using(facts, service))
        candidates.append(candidate)
    return candidates
