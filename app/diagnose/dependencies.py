"""What a client's error line says it depends on: the Service (and the workloads behind it) named by a
``host:port`` or host in the line. Correlation uses this to fold a client's symptom (it crashes because
postgres refuses connections) into the dependency's own problem (postgres is OOMKilled)."""

from __future__ import annotations

from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import ref_of, workload_of
from app.diagnose.service_facts import selected_pods, service_by_cluster_ip, service_for_host
from tools.contracts.diagnosis import ResourceRef


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
