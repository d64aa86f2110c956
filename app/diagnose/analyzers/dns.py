"""DNSFailure: names that do not resolve, and whether the client's name or CoreDNS is to blame.

Evidence: Hubble DNS responses with rcode NXDOMAIN (3) / SERVFAIL (2) by query; clients' logs (Go
``lookup X on 10.96.0.10:53: no such host``, ``server misbehaving``, Java ``UnknownHostException``, Node
``getaddrinfo ENOTFOUND``); ``coredns_rcode_rate`` SERVFAIL rising; CoreDNS pods not ready.

Search-path noise: with ``ndots:5`` a lookup of ``postgres.data`` first tries
``postgres.data.shop.svc.cluster.local`` etc., which answer NXDOMAIN even when the name is fine. A name is
blamed only on a decisive NXDOMAIN (the bare name itself, or ``svc.ns.svc.cluster.local`` for a Service
that does not exist), and never when the name resolves to an existing Service or answered NOERROR.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import FactRef, Facts
from app.diagnose.flow_facts import dns_of, dns_rcode, is_recent
from app.diagnose.k8s_facts import pod_is_ready, workload_of
from app.diagnose.log_facts import log_lines
from app.diagnose.series import label, window
from app.diagnose.service_facts import service_for_host
from app.diagnose.workload_facts import cite_log, cite_metric, cite_object, kubectl
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import labels_of, name_of, namespace_of
from tools.contracts.wording import plural

FLOW_WINDOW = timedelta(minutes=30)
NXDOMAIN, SERVFAIL = 3, 2
CLUSTER_DOMAIN = "cluster.local"

_NO_SUCH_HOST = re.compile(
    r"lookup ([A-Za-z0-9.-]+)(?: on [0-9.:\[\]a-f]+)?: no such host"
    r"|UnknownHostException: ([A-Za-z0-9.-]+)"
    r"|getaddrinfo ENOTFOUND ([A-Za-z0-9.-]+)"
)
_MISBEHAVING = re.compile(r"lookup ([A-Za-z0-9.-]+) on [0-9.:]+: server misbehaving")
_CLUSTER_NAME = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\." + re.escape(CLUSTER_DOMAIN) + "$")


@dataclass
class NameTrouble:
    """One name a client cannot resolve."""

    client: ResourceRef
    name: str
    rcode: str
    cites: list[Cite] = field(default_factory=list)
    count: int = 0


def _search_suffixes(namespace: str | None) -> list[str]:
    return [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN]


def base_name(query: str, namespace: str | None) -> str:
    """The name the app asked for: the query without the search-path suffixes the resolver appended."""
    name = query.rstrip(".").lower()
    changed = True
    while changed:
        changed = False
        for suffix in _search_suffixes(namespace):
            if name.endswith("." + suffix):
                name = name[: -len(suffix) - 1]
                changed = True
                break
    return name


def _decisive(query: str, facts: Facts) -> bool:
    """An NXDOMAIN that means the name really does not exist (not a search-path attempt)."""
    name = query.rstrip(".").lower()
    match = _CLUSTER_NAME.match(name)
    if match:
        return facts.find("Service", match.group(2), match.group(1)) is None
    return not name.endswith(CLUSTER_DOMAIN)


def _client_of(flow: dict[str, Any]) -> dict[str, Any]:
    """The pod that asked: the destination of a response from DNS, else the source."""
    source = flow.get("source") or {}
    from_dns = "k8s:k8s-app=kube-dns" in (source.get("labels") or []) or (
        (flow.get("l7") or {}).get("type") == "RESPONSE"
    )
    return (flow.get("destination") if from_dns else source) or {}


def _client_ref(facts: Facts, endpoint: dict[str, Any]) -> ResourceRef | None:
    namespace, pod_name = endpoint.get("namespace"), endpoint.get("pod_name")
    if not pod_name:
        return None
    pod = facts.find("Pod", namespace, pod_name)
    if pod is not None:
        return workload_of(facts, pod)
    workloads = endpoint.get("workloads") or []
    if workloads:
        return ResourceRef(
            kind=workloads[0].get("kind", "Deployment"), namespace=namespace, name=workloads[0]["name"]
        )
    return ResourceRef(kind="Pod", namespace=namespace, name=pod_name)


def _from_flows(facts: Facts) -> dict[tuple, NameTrouble]:
    troubles: dict[tuple, NameTrouble] = {}
    resolved: set[tuple] = set()
    for flow in facts.flows:
        dns = dns_of(flow)
        if dns is None or not is_recent(flow, facts.now, FLOW_WINDOW):
            continue
        client = _client_ref(facts, _client_of(flow))
        if client is None:
            continue
        query = str(dns.get("query", ""))
        base = base_name(query, client.namespace)
        rcode = dns_rcode(flow)
        key = (client.kind, client.namespace, client.name, base)
        if rcode == 0 and (dns.get("ips") or (flow.get("l7") or {}).get("type") == "RESPONSE"):
            resolved.add(key)
            continue
        if rcode == NXDOMAIN and not _decisive(query, facts):
            continue
        if rcode not in (NXDOMAIN, SERVFAIL):
            continue
        trouble = troubles.setdefault(
            key, NameTrouble(client, base, "NXDOMAIN" if rcode == NXDOMAIN else "SERVFAIL")
        )
        trouble.count += 1
        if not trouble.cites:
            trouble.cites.append(Cite(FactRef("flows", ("dns",)), query.rstrip(".")))
    return {key: value for key, value in troubles.items() if key not in resolved}


def _from_logs(facts: Facts) -> dict[tuple, NameTrouble]:
    troubles: dict[tuple, NameTrouble] = {}
    for pattern, rcode in ((_NO_SUCH_HOST, "NXDOMAIN"), (_MISBEHAVING, "SERVFAIL")):
        for line in log_lines(facts, pattern):
            match = pattern.search(line.text)
            pod = facts.find("Pod", line.namespace, line.pod)
            if not match or pod is None:
                continue
            client = workload_of(facts, pod)
            name = base_name(next(g for g in match.groups() if g), client.namespace)
            key = (client.kind, client.namespace, client.name, name)
            trouble = troubles.setdefault(key, NameTrouble(client, name, rcode))
            trouble.count += 1
            if len(trouble.cites) < 2:
                trouble.cites.append(
                    cite_log(line.namespace, line.pod, line.container, line.previous, match.group(0))
                )
    return troubles


def _coredns(facts: Facts) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    deployment = facts.find("Deployment", "kube-system", "coredns")
    pods = [p for p in facts.of_kind("Pod", "kube-system") if labels_of(p).get("k8s-app") == "kube-dns"]
    return deployment, pods


def _coredns_unhealthy(facts: Facts) -> bool:
    deployment, pods = _coredns(facts)
    if pods:
        return not any(pod_is_ready(p) for p in pods)
    if deployment is not None:
        return int((deployment.get("status") or {}).get("readyReplicas") or 0) == 0
    return False


def _servfail_rising(facts: Facts) -> dict[str, Any] | None:
    for series in facts.metrics.get("coredns_rcode_rate", []):
        if label(series, "rcode") != "SERVFAIL":
            continue
        recent = window(series, facts.now, 10)
        earlier = [v for v in window(series, facts.now, 120) if v not in recent] or [0.0]
        if (
            recent
            and min(recent) > 0.5
            and sum(recent) / len(recent) > 3 * (sum(earlier) / len(earlier)) + 0.2
        ):
            return series
    return None


def _coredns_logs(facts: Facts) -> list[Cite]:
    cites = []
    for line in log_lines(facts, "plugin/errors", namespace="kube-system"):
        if line.pod.startswith("coredns"):
            cites.append(cite_log(line.namespace, line.pod, line.container, line.previous, line.text))
            if len(cites) == 2:
                break
    return cites


def _coredns_candidate(
    facts: Facts, troubles: list[NameTrouble], servfail: dict[str, Any] | None
) -> Candidate:
    deployment, pods = _coredns(facts)
    ref = ResourceRef(kind="Deployment", namespace="kube-system", name="coredns")
    unhealthy = _coredns_unhealthy(facts)
    cites: list[Cite] = []
    if deployment is not None:
        cites.append(cite_object(deployment, "coredns", "Deployment"))
    cites.extend(cite_object(p) for p in pods[:2] if not pod_is_ready(p))
    if servfail is not None:
        cites.append(cite_metric("coredns_rcode_rate", "SERVFAIL"))
    cites.extend(_coredns_logs(facts))
    for trouble in troubles[:3]:
        cites.extend(trouble.cites[:1])
    names = sorted({t.name for t in troubles})
    if unhealthy:
        why = "no CoreDNS pod is ready, so cluster DNS does not answer"
    else:
        why = "CoreDNS answers SERVFAIL (its upstream resolver or plugin is failing)"
    return Candidate(
        title=f"Cluster DNS is failing: {why}",
        category=Category.DNSFailure,
        resource=ref,
        confidence=0.9 if (unhealthy and troubles) or (servfail is not None and troubles) else 0.75,
        explanation=(
            f"{why[0].upper() + why[1:]}."
            + (f" Clients fail to resolve {', '.join(names[:5])}." if names else "")
            + " Check the CoreDNS pods, their logs and the Corefile (ConfigMap kube-system/coredns)."
        ),
        cites=cites,
        affected=list({str(t.client): t.client for t in troubles}.values())[:10],
        severity=3,
        next_steps=[
            NextStep(
                description="Check CoreDNS pods and logs",
                command="kubectl -n kube-system get pods -l k8s-app=kube-dns; "
                "kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50",
            ),
            NextStep(
                description="Review the Corefile",
                command="kubectl -n kube-system get configmap coredns -o yaml",
            ),
        ],
    )


def _suggestion(facts: Facts, name: str, namespace: str | None) -> str | None:
    """The existing Service whose DNS name is closest to the one that fails."""
    wanted = name.split(".")
    choices = {}
    for svc in facts.of_kind("Service"):
        short = name_of(svc) if namespace_of(svc) == namespace else f"{name_of(svc)}.{namespace_of(svc)}"
        full = f"{name_of(svc)}.{namespace_of(svc)}"
        choices[short if len(wanted) == 1 else full] = full
    close = difflib.get_close_matches(
        name if len(wanted) <= 2 else ".".join(wanted[:2]), list(choices), n=1, cutoff=0.6
    )
    return close[0] if close else None


def _service_ref(dns_name: str) -> ResourceRef:
    """``redis.data`` (a Service's name and namespace, as :func:`_suggestion` gives it) as a reference."""
    name, _, namespace = dns_name.partition(".")
    return ResourceRef(kind="Service", namespace=namespace, name=name)


def _where_configured(facts: Facts, client: ResourceRef, name: str) -> list[Cite]:
    """The workload env or a ConfigMap in its namespace that spells the failing name."""
    cites = []
    workload = facts.find(client.kind, client.namespace, client.name)
    if workload is not None and name in str(workload.get("spec", "")):
        cites.append(cite_object(workload, name, client.kind))
    for config in facts.of_kind("ConfigMap", client.namespace):
        if name in str(config.get("data", "")):
            cites.append(cite_object(config, name, "ConfigMap"))
    return cites[:2]


def _name_candidate(facts: Facts, trouble: NameTrouble) -> Candidate:
    client = trouble.client
    suggestion = _suggestion(facts, trouble.name, client.namespace)
    configured = _where_configured(facts, client, trouble.name)
    hint = f" Did you mean {suggestion} (an existing Service)?" if suggestion else ""
    where = (
        f" The name is set in {', '.join(c.ref.key[0] + ' ' + c.ref.key[2] for c in configured)}."
        if configured
        else ""
    )
    return Candidate(
        title=f"{client.name} looks up {trouble.name}, which does not exist (NXDOMAIN)",
        category=Category.DNSFailure,
        resource=client,
        confidence=0.9 if suggestion or configured else 0.8,
        explanation=(
            f"{client} asks DNS for {trouble.name} and gets NXDOMAIN "
            f"({plural(trouble.count, 'time')} recently), "
            f"while cluster DNS is healthy: the host name is wrong or the Service it names does not "
            f"exist.{hint}{where}"
        ),
        cites=[*trouble.cites, *configured],
        affected=[client],
        reaching=[_service_ref(suggestion)] if suggestion else [],
        severity=3,
        next_steps=[
            NextStep(
                description="Find where the host name is configured",
                command=f"kubectl -n {client.namespace} get {client.kind.lower()} {client.name} -o yaml "
                f"| grep -n '{trouble.name}'",
            ),
            NextStep(description="Correct the host name", command=kubectl(client, "edit")),
        ],
    )


def analyze(facts: Facts) -> list[Candidate]:
    troubles = _from_flows(facts)
    for key, trouble in _from_logs(facts).items():
        if key in troubles:
            troubles[key].cites.extend(trouble.cites[:1])
            troubles[key].count += trouble.count
        else:
            troubles[key] = trouble
    ordered = [troubles[k] for k in sorted(troubles)]
    # A name that is an existing Service is fine: its NXDOMAINs are search-path attempts.
    ordered = [
        t
        for t in ordered
        if t.rcode != "NXDOMAIN" or service_for_host(facts, t.name, t.client.namespace) is None
    ]
    servfail = _servfail_rising(facts)
    servfails = [t for t in ordered if t.rcode == "SERVFAIL"]
    candidates: list[Candidate] = []
    coredns_blamed = (
        _coredns_unhealthy(facts) or servfail is not None or len({t.name for t in servfails}) >= 2
    )
    if coredns_blamed:
        candidates.append(_coredns_candidate(facts, ordered, servfail))
    if not _coredns_unhealthy(facts):
        candidates.extend(_name_candidate(facts, t) for t in ordered if t.rcode == "NXDOMAIN")
    return candidates
