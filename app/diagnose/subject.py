"""The subject of a question as this cluster has it: the workload behind a Service, host name or pod name,
the objects that belong to it (its pods, Services, Ingresses, autoscaler, budget, volumes, certificates),
and whether a finding is about it: whether it is one of the subject's problems or their cause chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.dependencies import failing_calls
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import WORKLOAD_KINDS
from app.diagnose.question import NamedObject
from app.diagnose.service_facts import selected_pods, service_selector, template_labels
from app.diagnose.workload_facts import find, owner_workload, pod_volume_claims, pods_of
from tools.contracts.diagnosis import Category, ResourceRef
from tools.contracts.kube.ingress import backend_services
from tools.contracts.kube.objects import labels_of, name_of, namespace_of
from tools.contracts.kube.selectors import map_matches

Key = tuple[str, str | None, str]


def key(ref: ResourceRef) -> Key:
    return (ref.kind, ref.namespace, ref.name)


@dataclass
class Subject:
    ref: ResourceRef
    members: set[Key] = field(default_factory=set)  # the objects that belong to it
    pod_prefixes: tuple[str, ...] = ()  # pods and ReplicaSets named after it (read or not)
    depends: set[Key] = field(default_factory=set)  # what its failing calls go to (logs, flows)

    def owns(self, ref: ResourceRef) -> bool:
        if self.ref.kind == "Namespace":
            return ref.namespace == self.ref.name or (ref.kind == "Namespace" and ref.name == self.ref.name)
        if key(ref) in self.members:
            return True
        return (
            ref.kind in ("Pod", "ReplicaSet")
            and ref.namespace == self.ref.namespace
            and (any(ref.name.startswith(prefix) for prefix in self.pod_prefixes))
        )


def _workloads_behind(facts: Facts, service: dict[str, Any]) -> list[ResourceRef]:
    found: list[ResourceRef] = []
    for pod in selected_pods(facts, service):
        ref = owner_workload(facts, pod)
        if ref not in found:
            found.append(ref)
    if not found:  # a selector that matches nothing: the workload of the same name is what it was for
        for kind in WORKLOAD_KINDS:
            if find(facts, kind, namespace_of(service), name_of(service)) is not None:
                found.append(ResourceRef(kind=kind, namespace=namespace_of(service), name=name_of(service)))
                break
    return found


def resolve(named: NamedObject | None, facts: Facts) -> ResourceRef | None:
    """The object a question is about: a Service or Ingress host resolves to the workload behind it (an
    Ingress whose backend is missing stays the Ingress), a pod to its workload."""
    if named is None:
        return None
    ref = ResourceRef(kind=named.kind, namespace=named.namespace, name=named.name)
    if named.kind == "Service":
        service = find(facts, "Service", named.namespace, named.name)
        if service is not None:
            behind = _workloads_behind(facts, service)
            return behind[0] if behind else ref
    if named.kind in ("Ingress", "Route"):
        ingress = find(facts, named.kind, named.namespace, named.name)
        if ingress is not None:
            for backend in backend_services(ingress):
                service = find(facts, "Service", named.namespace, backend)
                if service is not None:
                    behind = _workloads_behind(facts, service)
                    return (
                        behind[0]
                        if behind
                        else ResourceRef(kind="Service", namespace=named.namespace, name=backend)
                    )
    if named.kind == "Pod":
        pod = find(facts, "Pod", named.namespace, named.name)
        if pod is not None:
            return owner_workload(facts, pod)
    return ref


def subject_of(ref: ResourceRef | None, facts: Facts) -> Subject | None:
    """The subject and everything that belongs to it."""
    if ref is None:
        return None
    subject = Subject(ref=ref, members={key(ref)})
    ns = ref.namespace
    if ref.kind in WORKLOAD_KINDS or ref.kind == "Pod":
        subject.pod_prefixes = (f"{ref.name}-",)
        pods = pods_of(facts, ref)
        workload = find(facts, ref.kind, ns, ref.name) or {}
        labels = template_labels(workload) if workload else {}
        for pod in pods:
            subject.members.add(("Pod", ns, name_of(pod)))
            for claim in pod_volume_claims(pod).values():
                subject.members.add(("PersistentVolumeClaim", ns, claim))
        subject.depends = {key(ref) for ref in failing_calls(facts, pods)} - subject.members
        for template in ((workload.get("spec") or {}).get("volumeClaimTemplates") or []) if workload else []:
            subject.members.add(("PersistentVolumeClaim", ns, f"{name_of(template)}-{ref.name}-0"))
        services = []
        for service in facts.of_kind("Service", ns):
            selector = service_selector(service)
            selects = any(map_matches(selector, labels_of(pod)) for pod in pods) if selector else False
            if (
                selects
                or (labels and selector and map_matches(selector, labels))
                or name_of(service) == ref.name
            ):
                services.append(name_of(service))
                subject.members.add(("Service", ns, name_of(service)))
        _add_front(subject, facts, ns, services)
        for hpa in facts.of_kind("HorizontalPodAutoscaler", ns):
            target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
            if target.get("name") == ref.name:
                subject.members.add(("HorizontalPodAutoscaler", ns, name_of(hpa)))
        for pdb in facts.of_kind("PodDisruptionBudget", ns):
            selector = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            if selector and any(map_matches(selector, labels_of(pod)) for pod in pods):
                subject.members.add(("PodDisruptionBudget", ns, name_of(pdb)))
    elif ref.kind == "Service":
        service = find(facts, "Service", ns, ref.name)
        for workload in _workloads_behind(facts, service) if service else []:
            subject.members.add(key(workload))
        _add_front(subject, facts, ns, [ref.name])
    elif ref.kind == "Ingress":
        ingress = find(facts, "Ingress", ns, ref.name)
        _add_front(subject, facts, ns, backend_services(ingress) if ingress else [], only=ref.name)
    elif ref.kind == "PersistentVolumeClaim":
        for pod in facts.of_kind("Pod", ns):
            if ref.name in pod_volume_claims(pod).values():
                subject.members.add(key(owner_workload(facts, pod)))
    return subject


def _add_front(
    subject: Subject, facts: Facts, ns: str | None, services: list[str], only: str | None = None
) -> None:
    """Ingresses routing to the subject's Services, with their TLS secrets and the certificates behind
    them."""
    secrets = set()
    for ingress in facts.of_kind("Ingress", ns):
        if only is not None and name_of(ingress) != only:
            continue
        if only is None and not set(backend_services(ingress)) & set(services):
            continue
        subject.members.add(("Ingress", ns, name_of(ingress)))
        for tls in (ingress.get("spec") or {}).get("tls") or []:
            if tls.get("secretName"):
                secrets.add(tls["secretName"])
                subject.members.add(("Secret", ns, tls["secretName"]))
        if only is not None:  # an Ingress asked about owns its backends; a workload, only its own Services
            for backend in backend_services(ingress):
                subject.members.add(("Service", ns, backend))
    for cert in facts.of_kind("Certificate", ns):
        if (cert.get("spec") or {}).get("secretName") in secrets:
            subject.members.add(("Certificate", ns, name_of(cert)))


_NETWORK = (
    Category.ServiceNoEndpoints, Category.ServicePortMismatch, Category.NetworkPolicyBlocked,
    Category.DNSFailure, Category.IngressMisconfig,
)  # fmt: skip


def victims(candidate: Candidate, facts: Facts) -> list[ResourceRef]:
    """The objects that show a candidate's trouble. Traffic dropped by a policy troubles its sender, not the
    server it was sent to (catalog still reaches postgres), unless the sender is an ingress proxy: then
    the server behind the Ingress is what people cannot reach, and the proxy itself is fine."""
    if candidate.category is Category.NetworkPolicyBlocked and candidate.affected:
        source = candidate.affected[0]
        if _is_ingress_proxy(source, facts):
            return list(candidate.affected[1:])  # the proxy itself is fine; what is behind it is not
        return [source]
    return list(candidate.affected)


def _is_ingress_proxy(ref: ResourceRef, facts: Facts) -> bool:
    text = f"{ref.namespace or ''}/{ref.name}".lower()
    if "ingress" in text or "gateway" in text or "traefik" in text or "envoy" in text:
        return True
    workload = find(facts, ref.kind, ref.namespace, ref.name) or {}
    labels = labels_of(workload)
    return labels.get("app.kubernetes.io/component") == "controller" and "ingress" in str(labels)


def is_about(candidate: Candidate, subject: Subject, facts: Facts) -> bool:
    """One of the subject's problems or their cause: it names the subject (or something of it) as the
    object to fix or as an object showing the trouble, or it explains a symptom of the subject."""
    if subject.owns(candidate.resource):
        return True
    if any(subject.owns(ref) for ref in victims(candidate, facts) if ref.kind != "Ingress"):
        return True  # an Ingress in front of the subject shows a sibling backend's trouble too: not it
    if subject.ref.kind == "Node" and candidate.category is Category.DisruptionBudget:
        return any(_runs_on(facts, ref, subject.ref.name) for ref in candidate.affected)  # blocks its drain
    if key(candidate.resource) in subject.depends or (
        candidate.category in _NETWORK and any(key(ref) in subject.depends for ref in candidate.affected)
    ):
        return True  # what the subject calls is broken: its cause
    return any(is_about(symptom, subject, facts) for symptom in candidate.caused)


def stops_traffic_to(candidate: Candidate, subject: Subject, facts: Facts) -> bool:
    """Traffic meant for the subject that never gets there: a policy dropping it at the receiving end
    (which :func:`victims` leaves out), or a caller looking up a misspelt name of the subject's Service.
    The subject itself is fine, but what stops its callers is what a question about its traffic asks."""
    if any(subject.owns(ref) for ref in candidate.reaching):
        return True
    if candidate.category is not Category.NetworkPolicyBlocked or not candidate.affected:
        return False
    return any(subject.owns(ref) for ref in candidate.affected[1:] if ref not in victims(candidate, facts))


def _runs_on(facts: Facts, ref: ResourceRef, node: str) -> bool:
    pod = find(facts, "Pod", ref.namespace, ref.name) if ref.kind == "Pod" else None
    return pod is not None and (pod.get("spec") or {}).get("nodeName") == node


def depends_on_it(candidate: Candidate, subject: Subject) -> bool:
    """The candidate is about something the subject calls (its cause), not about the subject itself."""
    return key(candidate.resource) in subject.depends or any(
        key(ref) in subject.depends for ref in candidate.affected
    )


def symptom_workload(candidate: Candidate, facts: Facts) -> ResourceRef:
    """The workload (or node) that shows a candidate's trouble: what an alert about it would name."""
    for ref in victims(candidate, facts):
        if ref.kind in WORKLOAD_KINDS:
            return ref
        if ref.kind == "Pod":
            pod = find(facts, "Pod", ref.namespace, ref.name)
            return owner_workload(facts, pod) if pod is not None else ref
    return candidate.resource
