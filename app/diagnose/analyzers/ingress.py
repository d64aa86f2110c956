"""IngressMisconfig: an Ingress no controller serves, or whose backend Service or port does not exist.

Evidence: spec.ingressClassName against IngressClass objects (and the default-class annotation), every
backend (rules and defaultBackend) against Services and their ports, the TLS secretName against Secrets,
and ingress-nginx log lines naming the Ingress. A backend Service that exists but has no endpoints is the
Service analyzer's finding, not this one.
"""

from __future__ import annotations

from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import ref_of
from app.diagnose.log_facts import log_lines
from app.diagnose.workload_facts import cite_log, cite_object, kubectl
from tools.contracts.diagnosis import Category, NextStep
from tools.contracts.kube.ingress import ingress_backends
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.wording import noun_for

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def _class_problem(facts: Facts, ingress: dict[str, Any]) -> tuple[str, list[Cite]] | None:
    if "IngressClass" not in facts.objects:
        return None  # classes were not read: cannot judge
    if ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
        return None  # a controller gave it an address: some class serves it, whatever the capture holds
    classes = list(facts.of_kind("IngressClass"))
    wanted = (ingress.get("spec") or {}).get("ingressClassName")
    legacy = (meta(ingress).get("annotations") or {}).get(LEGACY_CLASS_ANNOTATION)
    names = sorted(name_of(c) for c in classes)
    if wanted:
        if wanted in names:
            return None
        available = ", ".join(names) or "none"
        return (
            f'ingressClassName "{wanted}" matches no IngressClass (the cluster has: {available}), so no '
            f"controller serves it",
            [cite_object(ingress, wanted, "Ingress")],
        )
    if legacy:
        return None
    defaults = [
        c for c in classes if (meta(c).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]
    if defaults:
        return None
    return (
        f"it sets no ingressClassName and no IngressClass is marked default "
        f"(classes: {', '.join(names) or 'none'}), "
        f"so no controller picks it up",
        [cite_object(ingress, name_of(ingress), "Ingress")],
    )


def _backend_problems(facts: Facts, ingress: dict[str, Any]) -> list[tuple[str, list[Cite]]]:
    if "Service" not in facts.objects:
        return []
    problems = []
    namespace = namespace_of(ingress)
    for backend in ingress_backends(ingress):
        if not backend.service:
            continue  # a resource backend: not judged
        where, svc_name, port = backend.where, backend.service, backend.port
        service = facts.find("Service", namespace, svc_name)
        if service is None:
            problems.append(
                (
                    f'backend {where} points to Service "{svc_name}", which does not exist in {namespace}',
                    [cite_object(ingress, svc_name, "Ingress")],
                )
            )
            continue
        ports = (service.get("spec") or {}).get("ports") or []
        if "number" in port and not any(p.get("port") == port["number"] for p in ports):
            listed = ", ".join(str(p.get("port")) for p in ports)
            problems.append(
                (
                    f"backend {where} uses port {port['number']} of Service {svc_name}, "
                    f"which only has {noun_for(len(ports), 'port')} {listed}",
                    [cite_object(ingress, svc_name, "Ingress"), cite_object(service, svc_name, "Service")],
                )
            )
        elif "name" in port and not any(p.get("name") == port["name"] for p in ports):
            listed = ", ".join(p.get("name") or "(unnamed)" for p in ports)
            problems.append(
                (
                    f'backend {where} uses port "{port["name"]}" of Service {svc_name}, '
                    f"whose ports are named {listed}",
                    [cite_object(ingress, svc_name, "Ingress"), cite_object(service, svc_name, "Service")],
                )
            )
    return problems


def _tls_problems(facts: Facts, ingress: dict[str, Any]) -> list[tuple[str, list[Cite]]]:
    if "Secret" not in facts.objects or "Secret" in facts.unread:
        return []  # Secrets were not read (or not captured): cannot judge
    problems = []
    for tls in (ingress.get("spec") or {}).get("tls") or []:
        secret = tls.get("secretName")
        if secret and facts.find("Secret", namespace_of(ingress), secret) is None:
            problems.append(
                (
                    f'TLS secret "{secret}" does not exist in {namespace_of(ingress)} '
                    f"(the controller serves its default certificate)",
                    [cite_object(ingress, secret, "Ingress")],
                )
            )
    return problems


def _controller_logs(facts: Facts, ingress: dict[str, Any]) -> list[Cite]:
    key = f"{namespace_of(ingress)}/{name_of(ingress)}"
    cites = []
    for line in log_lines(facts, key):
        if line.pod.startswith(("ingress-nginx", "nginx-ingress", "traefik", "haproxy")) and (
            " E" in line.text[:6] or "W" in line.text[:1] or "error" in line.text.lower()
        ):
            cites.append(cite_log(line.namespace, line.pod, line.container, line.previous, line.text))
            if len(cites) == 2:
                break
    return cites


def analyze(facts: Facts) -> list[Candidate]:
    candidates: list[Candidate] = []
    for ingress in facts.of_kind("Ingress"):
        problems: list[tuple[str, list[Cite]]] = []
        class_problem = _class_problem(facts, ingress)
        if class_problem:
            problems.append(class_problem)
        backend_problems = _backend_problems(facts, ingress)
        problems.extend(backend_problems)
        problems.extend(_tls_problems(facts, ingress))
        if not problems:
            continue
        ref = ref_of(ingress, "Ingress")
        cites = [cite for _, found in problems for cite in found]
        cites.extend(_controller_logs(facts, ingress))
        texts = [text for text, _ in problems]
        serious = bool(class_problem) or bool(backend_problems)
        candidates.append(
            Candidate(
                title=f"Ingress {ref.name}: {texts[0]}",
                category=Category.IngressMisconfig,
                resource=ref,
                confidence=0.9 if serious else 0.7,
                explanation=f"Ingress {ref.namespace}/{ref.name}: " + "; ".join(texts) + ".",
                cites=list(dict.fromkeys(cites)),
                affected=[],
                severity=3 if serious else 2,
                next_steps=[
                    NextStep(
                        description="See how the controller reads this Ingress",
                        command=kubectl(ref, "describe"),
                    ),
                    NextStep(
                        description="List IngressClasses and the backend Services",
                        command=f"kubectl get ingressclass; kubectl -n {ref.namespace} get services",
                    ),
                    NextStep(description="Fix the class or backend", command=kubectl(ref, "edit")),
                ],
            )
        )
    return candidates
