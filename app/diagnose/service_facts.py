"""Service readings shared by the service, ingress and network analyzers: selected pods, endpoints, ports."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import pod_is_ready
from tools.contracts.kube.objects import labels_of, meta, name_of, namespace_of
from tools.contracts.kube.selectors import map_matches, map_text

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
WORKLOAD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def service_selector(service: dict[str, Any]) -> dict[str, str]:
    return (service.get("spec") or {}).get("selector") or {}


def routes_to_pods(service: dict[str, Any]) -> bool:
    """A Service that the endpoint controller fills from pods (has a selector, not ExternalName)."""
    spec = service.get("spec") or {}
    return bool(spec.get("selector")) and spec.get("type") != "ExternalName"


def _pods_labelled(facts: Facts, namespace: str | None, key: str, value: str) -> list[dict[str, Any]]:
    """Pods of a namespace carrying label key=value, through an index built once per Facts (a big
    namespace has hundreds of Services and thousands of pods)."""
    index = facts.derived.get("pods by label")
    if index is None:
        index = {}
        for pod in facts.of_kind("Pod"):
            pod_namespace = namespace_of(pod) or ""
            for label_key, label_value in labels_of(pod).items():
                index.setdefault((pod_namespace, label_key, str(label_value)), []).append(pod)
        facts.derived["pods by label"] = index
    return index.get((namespace or "", key, str(value)), [])


def selected_pods(facts: Facts, service: dict[str, Any]) -> list[dict[str, Any]]:
    """The pods a Service's selector picks (not finished ones), known once per question and Service."""
    return facts.known("selected pods", service, lambda: _selected_pods(facts, service))


def _selected_pods(facts: Facts, service: dict[str, Any]) -> list[dict[str, Any]]:
    selector = service_selector(service)
    if not selector:
        return []
    key, value = min(selector.items())
    return [
        pod
        for pod in _pods_labelled(facts, namespace_of(service), key, value)
        if map_matches(selector, labels_of(pod))
        and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]


def endpoint_slices(facts: Facts, service: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        slice_
        for slice_ in facts.of_kind("EndpointSlice", namespace_of(service))
        if labels_of(slice_).get(SERVICE_NAME_LABEL) == name_of(service)
    ]


@dataclass
class EndpointState:
    ready: int
    not_ready: int
    from_slices: bool  # counted from EndpointSlices (else from pods)
    slices: list[dict[str, Any]]


def endpoint_state(facts: Facts, service: dict[str, Any]) -> EndpointState:
    """Ready/not-ready endpoints from the Service's EndpointSlices, or without slices from its pods."""
    slices = endpoint_slices(facts, service)
    if slices:
        ready = not_ready = 0
        for slice_ in slices:
            for endpoint in slice_.get("endpoints") or []:
                conditions = endpoint.get("conditions") or {}
                if conditions.get("ready", True) is not False:  # nil ready means ready (API doc)
                    ready += 1
                else:
                    not_ready += 1
        return EndpointState(ready, not_ready, True, slices)
    pods = selected_pods(facts, service)
    ready = sum(1 for pod in pods if pod_is_ready(pod))
    return EndpointState(ready, len(pods) - ready, False, [])


@dataclass
class NearMiss:
    """An object whose labels almost match a selector, and the labels that differ."""

    obj: dict[str, Any]
    kind: str
    labels: dict[str, str]
    differences: list[str]  # e.g. "selector app=cart-api but pods are labelled app=cart"
    score: float


def template_labels(obj: dict[str, Any]) -> dict[str, str]:
    return labels_of((obj.get("spec") or {}).get("template") or {})


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _differences(selector: dict[str, str], labels: dict[str, str]) -> tuple[float, list[str]]:
    score = 0.0
    differences = []
    for key, value in sorted(selector.items()):
        if labels.get(key) == value:
            score += 2
            continue
        if key in labels:
            score += 0.5 + _similarity(value, labels[key])
            differences.append(f"selector {key}={value} but pods are labelled {key}={labels[key]}")
            continue
        same_value = [k for k, v in labels.items() if v == value]
        if same_value:
            score += 1
            differences.append(
                f"selector {key}={value} but pods carry {same_value[0]}={value} (no {key} label)"
            )
        else:
            differences.append(f"selector {key}={value} but pods have no {key} label")
    return score, differences


def near_misses(facts: Facts, service: dict[str, Any]) -> list[NearMiss]:
    """Workloads (by pod template) and bare pods in the Service's namespace ranked by how close their labels
    are to its selector; the first one is probably the backend the Service was meant for."""
    selector = service_selector(service)
    namespace = namespace_of(service)
    found: list[NearMiss] = []
    for kind in WORKLOAD_TEMPLATE_KINDS:
        for obj in facts.of_kind(kind, namespace):
            labels = template_labels(obj)
            score, differences = _differences(selector, labels)
            if differences and score > 0:
                score += _similarity(name_of(service), name_of(obj)) * 0.5
                found.append(NearMiss(obj, kind, labels, differences, score))
    if not found:
        for pod in facts.of_kind("Pod", namespace):
            if meta(pod).get("ownerReferences"):
                continue
            score, differences = _differences(selector, labels_of(pod))
            if differences and score > 0:
                found.append(NearMiss(pod, "Pod", labels_of(pod), differences, score))
    return sorted(found, key=lambda miss: (-miss.score, miss.kind, name_of(miss.obj)))


def service_selector_text(service: dict[str, Any]) -> str:
    return map_text(service_selector(service))


def container_ports(pod: dict[str, Any]) -> list[dict[str, Any]]:
    ports = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            ports.append({**port, "container": container.get("name", "")})
    return ports


def resolve_target_port(service_port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    """The pod port a Service port sends to: targetPort number, a named containerPort, or ``port``."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for port in container_ports(pod):
        if port.get("name") == target and (port.get("protocol") or "TCP") == (
            service_port.get("protocol") or "TCP"
        ):
            return int(port.get("containerPort"))
    return None


def services_selecting(facts: Facts, pod: dict[str, Any]) -> list[dict[str, Any]]:
    labels = labels_of(pod)
    return [
        svc
        for svc in facts.of_kind("Service", namespace_of(pod))
        if routes_to_pods(svc) and map_matches(service_selector(svc), labels)
    ]


def service_by_cluster_ip(facts: Facts, ip: str) -> dict[str, Any] | None:
    for svc in facts.of_kind("Service"):
        spec = svc.get("spec") or {}
        if spec.get("clusterIP") == ip or ip in (spec.get("clusterIPs") or []):
            return svc
    return None


_DNS_NAME = re.compile(r"^([a-z0-9-]+)(?:\.([a-z0-9-]+))?(?:\.svc(?:\.cluster\.local)?)?\.?$")


def service_for_host(facts: Facts, host: str, client_namespace: str | None) -> dict[str, Any] | None:
    """The Service a host (``postgres``, ``postgres.data``, ``postgres.data.svc.cluster.local``) names."""
    match = _DNS_NAME.match(host.lower())
    if not match:
        return None
    name, namespace = match.group(1), match.group(2) or client_namespace
    return facts.find("Service", namespace, name)
