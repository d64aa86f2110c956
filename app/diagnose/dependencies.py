"""What a client's error line says it depends on: the Service (and the workloads behind it) named by a
``host:port`` or host in the line. Correlation uses this to fold a client's symptom (it crashes because
postgres refuses connections) into the dependency's own problem (postgres is OOMKilled)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import ref_of, workload_of
from app.diagnose.log_shapes import find_shapes
from app.diagnose.service_facts import selected_pods, service_by_cluster_ip, service_for_host
from app.diagnose.workload_facts import find, owner_workload
from tools.contracts.diagnosis import ResourceRef
from tools.contracts.kube.objects import name_of

# log shapes of a call that failed: the other end named in the line is a dependency in trouble
FAILED_CALLS = ("connection_refused", "timeout", "no_such_host")


def _host(detail: str) -> str:
    """``10.96.4.2:5432`` -> ``10.96.4.2``; ``[fd00::1]:80`` -> ``fd00::1``; a bare host stays as it is."""
    text = detail.strip()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        return text.rsplit(":", 1)[0]
    return text


def dependency_refs(facts: Facts, detail: str, client_namespace: str | None) -> list[ResourceRef]:
    """The Service a host or host:port names (by ClusterIP or DNS name) and the workloads it selects; for a
    pod IP, that pod's workload. Empty when the line names nothing in this cluster."""
    host = _host(detail)
    if not host:
        return []
    service = service_by_cluster_ip(facts, host) or service_for_host(facts, host, client_namespace)
    if service is not None:
        refs = [ref_of(service, "Service")]
        for pod in selected_pods(facts, service):
            workload = workload_of(facts, pod)
            if workload not in refs:
                refs.append(workload)
        return refs
    for pod in facts.of_kind("Pod"):
        if (pod.get("status") or {}).get("podIP") == host:
            return [workload_of(facts, pod)]
    return []


@dataclass(frozen=True)
class FailedCall:
    """One error line of a pod's log that names what the call failed to reach."""

    log: tuple[str, str, str, bool]  # (namespace, pod, container, previous)
    line: str
    refs: tuple[ResourceRef, ...]


def failed_calls(facts: Facts, pods: list[dict[str, Any]]) -> list[FailedCall]:
    """The newest error lines (at most five per log) of these pods' logs that name a Service or workload
    of this cluster."""
    names = {name_of(pod) for pod in pods}
    found = []
    for key, text in facts.logs.items():
        if key[1] not in names:
            continue
        for shape in find_shapes(text, FAILED_CALLS)[-5:]:
            refs = dependency_refs(facts, shape.detail, key[0])
            if refs:
                found.append(FailedCall(key, shape.line, tuple(refs)))
    return found


def failing_calls(facts: Facts, pods: list[dict[str, Any]]) -> list[ResourceRef]:
    """The Services and workloads these pods fail to reach: named by their error log lines (by ClusterIP or
    DNS name) and by the other end of their reset or dropped flows. A symptom of the pods (errors, latency)
    is then the effect of that dependency's own problem."""
    found: list[ResourceRef] = []

    def add(refs: list[ResourceRef] | tuple[ResourceRef, ...]) -> None:
        found.extend(ref for ref in refs if ref not in found)

    names = {name_of(pod) for pod in pods}
    for call in failed_calls(facts, pods):
        add(call.refs)
    for flow in facts.flows:
        if (flow.get("l7") or {}).get("dns") is not None:
            continue  # DNS answers: a lookup, not a call to the other end
        source, destination = flow.get("source") or {}, flow.get("destination") or {}
        client, server = (destination, source) if flow.get("is_reply") else (source, destination)
        if client.get("pod_name") in names and server.get("pod_name"):
            pod = find(facts, "Pod", server.get("namespace"), server["pod_name"])
            if pod is not None:
                add([owner_workload(facts, pod)])
    return found
