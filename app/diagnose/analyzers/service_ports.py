"""ServicePortMismatch: a Service's targetPort (number or name) that no selected container listens on.

Evidence: targetPort against the containerPorts of the selected pods; Hubble RST replies sent from the pod
port (the SYN is forwarded, the pod answers RST, ACK); clients' ``connect: connection refused`` to the
Service's ClusterIP:port. containerPorts are informational, so a numeric mismatch without traffic
evidence is a medium-confidence finding.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import FactRef, Facts
from app.diagnose.flow_facts import endpoint_labels, is_recent, is_rst_reply, l4
from app.diagnose.k8s_facts import ref_of, workload_of
from app.diagnose.log_facts import log_lines
from app.diagnose.service_facts import container_ports, routes_to_pods, selected_pods, service_selector
from app.diagnose.workload_facts import cite_log, cite_object, kubectl
from tools.contracts.diagnosis import Category, NextStep
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.kube.selectors import map_matches
from tools.contracts.printed import printed_key
from tools.contracts.wording import plural

FLOW_WINDOW = timedelta(minutes=30)


def _rst_flows(facts: Facts, service: dict[str, Any], port: int) -> list[dict[str, Any]]:
    """Recent RST replies sent by the Service's pods from ``port``."""
    selector = service_selector(service)
    found = []
    for flow in facts.flows:
        if not is_rst_reply(flow) or not is_recent(flow, facts.now, FLOW_WINDOW):
            continue
        source = flow.get("source") or {}
        _, sport, _ = l4(flow)
        if (
            source.get("namespace") == namespace_of(service)
            and sport == port
            and map_matches(selector, endpoint_labels(source))
        ):
            found.append(flow)
    return found


def _refused_logs(facts: Facts, service: dict[str, Any], port: int) -> list[Cite]:
    spec = service.get("spec") or {}
    ip = spec.get("clusterIP")
    if not ip or ip == "None":
        return []
    needle = f"{ip}:{port}: connect: connection refused"
    return [
        cite_log(line.namespace, line.pod, line.container, line.previous, line.text)
        for line in log_lines(facts, needle)
    ][:2]


def _check_port(facts: Facts, service: dict[str, Any], svc_port: dict[str, Any], pods: list[dict[str, Any]]):
    target = svc_port.get("targetPort", svc_port.get("port"))
    protocol = svc_port.get("protocol") or "TCP"
    declared = [p for pod in pods for p in container_ports(pod) if (p.get("protocol") or "TCP") == protocol]
    declared_numbers = sorted({int(p["containerPort"]) for p in declared if "containerPort" in p})
    declared_names = sorted({p["name"] for p in declared if p.get("name")})
    named = isinstance(target, str) and not target.isdigit()
    if named:
        if target in declared_names:
            return None
        listening = ", ".join(f"{p.get('name') or '-'}={p.get('containerPort')}" for p in declared) or "none"
        problem = f"targetPort {target!r} is not a containerPort name of the pods (they declare {listening})"
        return problem, None, 0.9
    number = int(target)
    rst = _rst_flows(facts, service, number)
    if declared_numbers and number in declared_numbers:
        return None
    if declared_numbers:
        listening = ", ".join(str(n) for n in declared_numbers)
        problem = f"targetPort {number} but the pods listen on {listening}"
        return problem, rst, 0.9 if rst else 0.6
    if rst:
        return f"targetPort {number} is refused by the pods (TCP RST)", rst, 0.8
    return None


def analyze(facts: Facts) -> list[Candidate]:
    candidates: list[Candidate] = []
    for service in facts.of_kind("Service"):
        if not routes_to_pods(service):
            continue
        pods = selected_pods(facts, service)
        if not pods:
            continue  # no endpoints at all: ServiceNoEndpoints speaks for that
        svc_ref = ref_of(service, "Service")
        for svc_port in (service.get("spec") or {}).get("ports") or []:
            checked = _check_port(facts, service, svc_port, pods)
            if checked is None:
                continue
            problem, rst, confidence = checked
            port_no = svc_port.get("port")
            target = svc_port.get("targetPort", port_no)
            workloads = sorted({str(workload_of(facts, pod)) for pod in pods})
            cites = [cite_object(service, name_of(service), "Service"), cite_object(pods[0])]
            if rst:
                pod_name = (rst[0].get("source") or {}).get("pod_name", "")
                key = printed_key("flow-pod", namespace_of(service), pod_name)
                cites.append(Cite(FactRef("flows", ("rst",)), key=key))
            refused = _refused_logs(facts, service, int(port_no)) if port_no else []
            cites.extend(refused)
            if refused and confidence < 0.85:
                confidence += 0.15
            affected = [workload_of(facts, pod) for pod in pods[:1]]
            candidates.append(
                Candidate(
                    title=f"Service {svc_ref.name} port {port_no} does not reach its pods: {problem}",
                    category=Category.ServicePortMismatch,
                    resource=svc_ref,
                    confidence=round(confidence, 2),
                    explanation=(
                        f"Service {svc_ref.namespace}/{svc_ref.name} sends port {port_no} to targetPort "
                        f"{target} on pods of {', '.join(workloads)}: {problem}. Connections reach the pod "
                        f"but nothing listens there"
                        + (
                            f"; Hubble shows {plural(len(rst), 'RST reply', 'RST replies')} from the pods."
                            if rst
                            else "."
                        )
                    ),
                    cites=cites,
                    affected=affected,
                    severity=3 if rst or refused else 2,
                    next_steps=[
                        NextStep(
                            description="Compare the Service ports with the containers' ports",
                            command=f"kubectl -n {svc_ref.namespace} get endpointslices "
                            f"-l kubernetes.io/service-name={svc_ref.name} -o yaml",
                        ),
                        NextStep(
                            description="Set targetPort to the port the app listens on",
                            command=kubectl(svc_ref, "edit"),
                        ),
                    ],
                )
            )
    return candidates
