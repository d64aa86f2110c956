"""NetworkPolicyBlocked: a NetworkPolicy drops traffic between workloads (DNS included), and which one.

Evidence: Hubble drops with POLICY_DENIED/POLICY_DENY (a blocked connection shows its SYN dropped again
after ~1, 2, 4 s), attributed to the policies that isolate the destination (ingress) or the source (egress)
by evaluating their selectors and ports against the pods' labels; the policy Hubble names in
``*_denied_by`` wins when present. Without flows, a client's ``dial tcp IP:port: i/o timeout`` (or a DNS
read timeout) plus a policy that does not admit that client is a medium-confidence finding.

Stale evidence: drops older than ``RECENT_DROP`` before now, drops followed by forwarded traffic on the same
path, and drops that the current policies would now admit are history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import FactRef, Facts
from app.diagnose.flow_facts import (
    denied_by,
    endpoint_labels,
    flow_time,
    is_policy_drop,
    l4,
)
from app.diagnose.k8s_facts import identity_labels, ref_of, workload_of
from app.diagnose.log_facts import log_lines
from app.diagnose.netpol import EGRESS, INGRESS, Peer, Port, Verdict, describe_allowed, evaluate, rules_of
from app.diagnose.service_facts import (
    container_ports,
    selected_pods,
    service_by_cluster_ip,
    services_selecting,
)
from app.diagnose.workload_facts import cite_log, cite_metric, cite_object
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import labels_of, name_of, namespace_of
from tools.contracts.kube.selectors import map_text
from tools.contracts.wording import plural

RECENT_DROP = timedelta(minutes=20)
DNS_PORT = 53


@dataclass
class Side:
    """One end of a blocked path: its namespace, labels, pod object (if read) and workload."""

    namespace: str | None
    labels: dict[str, str]
    pod: dict[str, Any] | None
    workload: ResourceRef | None
    ip: str | None = None

    @property
    def text(self) -> str:
        if self.workload is not None:
            return f"{self.workload.namespace}/{self.workload.name}"
        return self.ip or "unknown"


@dataclass
class Path:
    direction: str
    source: Side
    destination: Side
    port: int
    protocol: str
    drops: list[dict[str, Any]] = field(default_factory=list)
    named_by_hubble: list[dict[str, Any]] = field(default_factory=list)


def _namespace_labels(facts: Facts, namespace: str | None) -> dict[str, str]:
    obj = facts.find("Namespace", None, namespace or "")
    labels = labels_of(obj) if obj else {}
    return {"kubernetes.io/metadata.name": namespace or "", **labels}


def _side(facts: Facts, endpoint: dict[str, Any] | None, ip: str | None) -> Side:
    endpoint = endpoint or {}
    namespace = endpoint.get("namespace")
    pod = facts.find("Pod", namespace, endpoint["pod_name"]) if endpoint.get("pod_name") else None
    if pod is not None:
        return Side(namespace, labels_of(pod), pod, workload_of(facts, pod), ip)
    workload = None
    workloads = endpoint.get("workloads") or []
    if workloads:
        workload = ResourceRef(
            kind=workloads[0].get("kind", "Deployment"), namespace=namespace, name=workloads[0]["name"]
        )
    elif endpoint.get("pod_name"):
        workload = ResourceRef(kind="Pod", namespace=namespace, name=endpoint["pod_name"])
    return Side(namespace, endpoint_labels(endpoint), None, workload, ip)


def _port_names(side: Side, number: int) -> tuple[str, ...]:
    if side.pod is None:
        return ()
    return tuple(
        p["name"] for p in container_ports(side.pod) if p.get("name") and p.get("containerPort") == number
    )


def _verdict(facts: Facts, path: Path) -> Verdict:
    policies = list(facts.of_kind("NetworkPolicy"))
    port = Port(path.port, path.protocol, _port_names(path.destination, path.port))
    if path.direction == INGRESS:
        subject, other = path.destination, path.source
    else:
        subject, other = path.source, path.destination
    peer = Peer(other.namespace, other.labels, _namespace_labels(facts, other.namespace), other.ip)
    return evaluate(policies, path.direction, subject.namespace, subject.labels, peer, port)


def _culprit(path: Path, verdict: Verdict) -> dict[str, Any]:
    """The policy to edit: one whose rules already mention this port (meant to admit the traffic, wrong peer),
    then a specific one (non-empty podSelector), then a default deny."""

    def score(policy: dict[str, Any]) -> tuple[int, str]:
        value = 0
        for rule in rules_of(policy, path.direction):
            if any(str(p.get("port")) == str(path.port) for p in rule.get("ports") or []):
                value += 4
            if rule.get("from" if path.direction == INGRESS else "to"):
                value += 1
        if (policy.get("spec") or {}).get("podSelector"):
            value += 2
        return (-value, name_of(policy))

    return sorted(verdict.isolating, key=score)[0]


def _why_not(policy: dict[str, Any], path: Path) -> str:
    """A hint why the culprit's rules miss the peer: same labels but other namespace is the classic."""
    other = path.source if path.direction == INGRESS else path.destination
    for rule in rules_of(policy, path.direction):
        for peer in rule.get("from" if path.direction == INGRESS else "to") or []:
            selector = peer.get("podSelector")
            labels = (selector or {}).get("matchLabels") or {}
            same_labels = bool(labels) and all(other.labels.get(k) == v for k, v in labels.items())
            if (
                same_labels
                and peer.get("namespaceSelector") is None
                and other.namespace != namespace_of(policy)
            ):
                return (
                    f" Its rule selects pods {map_text(labels)} without a namespaceSelector, "
                    f"which only admits pods in namespace {namespace_of(policy)}; "
                    f"{other.text} runs in {other.namespace}."
                )
    return ""


def _group_drops(facts: Facts) -> list[Path]:
    paths: dict[tuple, Path] = {}
    for flow in facts.flows:
        if not is_policy_drop(flow):
            continue
        protocol, _, dport = l4(flow)
        if dport is None:
            continue
        direction = INGRESS if flow.get("traffic_direction") == "INGRESS" else EGRESS
        ips = flow.get("IP") or {}
        source = _side(facts, flow.get("source"), ips.get("source"))
        destination = _side(facts, flow.get("destination"), ips.get("destination"))
        key = (direction, source.text, destination.text, dport, protocol)
        path = paths.setdefault(key, Path(direction, source, destination, dport, protocol))
        path.drops.append(flow)
        path.named_by_hubble.extend(p for p in denied_by(flow) if p not in path.named_by_hubble)
    return list(paths.values())


def _forwarded_after(facts: Facts, path: Path, moment) -> bool:
    """Traffic on the same path forwarded after the last drop: the block has been lifted."""
    for flow in facts.flows:
        if flow.get("verdict") != "FORWARDED" or flow.get("is_reply"):
            continue
        _, _, dport = l4(flow)
        when = flow_time(flow)
        if dport != path.port or when is None or when <= moment:
            continue
        ips = flow.get("IP") or {}
        src = _side(facts, flow.get("source"), ips.get("source"))
        dst = _side(facts, flow.get("destination"), ips.get("destination"))
        if src.text == path.source.text and dst.text == path.destination.text:
            return True
    return False


def _timeout_logs(facts: Facts, path: Path) -> list[Cite]:
    """The source's log lines timing out towards the destination's Service (or DNS)."""
    if path.source.workload is None or path.source.namespace is None:
        return []
    needles: list[str] = []
    if path.port == DNS_PORT:
        needles.append(":53: i/o timeout")
    elif path.destination.pod is not None:
        for svc in services_selecting(facts, path.destination.pod):
            ip = (svc.get("spec") or {}).get("clusterIP")
            for svc_port in (svc.get("spec") or {}).get("ports") or []:
                needles.append(f"{ip}:{svc_port.get('port')}")
    prefix = path.source.workload.name
    cites: list[Cite] = []
    for needle in needles:
        for line in log_lines(facts, needle, namespace=path.source.namespace):
            if line.pod.startswith(prefix) and ("timeout" in line.text or "deadline" in line.text):
                cites.append(cite_log(line.namespace, line.pod, line.container, line.previous, line.text))
                break
    return cites[:2]


def _policy_ref(policy: dict[str, Any]) -> ResourceRef:
    return ref_of(policy, policy.get("kind") or "NetworkPolicy")


def _candidate(facts: Facts, path: Path, verdict: Verdict, source_kind: str) -> Candidate | None:
    named = [p for p in path.named_by_hubble if p.get("name")]
    if named:
        first = named[0]
        policy = facts.find(first.get("kind") or "NetworkPolicy", first.get("namespace"), first["name"]) or {
            "kind": first.get("kind") or "NetworkPolicy",
            "metadata": {"name": first["name"], "namespace": first.get("namespace")},
        }
    elif verdict.isolating:
        policy = _culprit(path, verdict)
    else:
        return None
    ref = _policy_ref(policy)
    dns = path.port == DNS_PORT
    src, dst = path.source, path.destination
    where = "egress from" if path.direction == EGRESS else "ingress to"
    subject = src if path.direction == EGRESS else dst
    isolating = ", ".join(name_of(p) for p in verdict.isolating) or ref.name
    allowed = describe_allowed(policy, path.direction) if policy.get("spec") else "unknown"
    if dns:
        title = f"NetworkPolicy {ref.name} blocks DNS for {src.text}: egress to kube-dns port 53 is dropped"
    else:
        title = f"{src.text} cannot reach {dst.text}:{path.port}: NetworkPolicy {ref.name} drops the traffic"
    cites: list[Cite] = []
    if path.drops:
        last = max(flow_time(f) for f in path.drops if flow_time(f))
        seen = (
            f"Hubble dropped {plural(len(path.drops), f'{path.protocol} packet')} "
            f"from {src.text} to {dst.text}:{path.port} "
            f"({path.drops[0].get('drop_reason_desc')}, {path.direction.lower()}), the last at "
            f"{last.strftime('%H:%M:%S')}Z."
        )
        needle = (
            f"{dst.workload.namespace}/{dst.workload.name}"
            if dst.workload
            else path.drops[0]["drop_reason_desc"]
        )
        cites.append(Cite(FactRef("flows", ("drops",)), needle))
        for series in facts.metrics.get("hubble_drop_rate", []):
            if (series.get("metric") or {}).get("reason") in ("POLICY_DENIED", "POLICY_DENY"):
                cites.append(cite_metric("hubble_drop_rate", (series.get("metric") or {})["reason"]))
                break
    else:
        seen = f"{src.text} times out connecting to {dst.text}:{path.port}."
    if policy.get("spec"):
        cites.append(cite_object(policy, ref.name, ref.kind))
    logs = _timeout_logs(facts, path)
    cites.extend(logs)
    peer = src if path.direction == INGRESS else dst
    who = "DNS" if dns else f"pods {map_text(identity_labels(peer.labels))}"
    towards = "from" if path.direction == INGRESS else "to"
    explanation = (
        f"{seen} The {where} {subject.text} pods is restricted by {isolating}; none admits "
        f"{who} {towards} namespace {peer.namespace} on {path.protocol} {path.port}. "
        f"{ref.name} allows {allowed}.{_why_not(policy, path)}"
    )
    single = bool(named) or len(verdict.isolating) == 1
    confidence = (0.92 if single else 0.82) if source_kind == "flows" else 0.6
    affected = [w for w in (src.workload, dst.workload) if w is not None]
    if dst.pod is not None and not dns:
        affected.extend(ref_of(svc, "Service") for svc in services_selecting(facts, dst.pod))
    return Candidate(
        title=title,
        category=Category.NetworkPolicyBlocked,
        resource=ref,
        confidence=confidence,
        explanation=explanation,
        cites=cites,
        affected=affected,
        severity=3,
        next_steps=[
            NextStep(
                description="Read the policies that select these pods",
                command=f"kubectl -n {ref.namespace} get networkpolicy -o yaml",
            ),
            NextStep(
                description=(
                    "Allow DNS egress (UDP and TCP 53 to kube-dns) in the policy"
                    if dns
                    else f"Admit {src.text} on port {path.port} in its {path.direction.lower()} rules"
                ),
                command=f"kubectl -n {ref.namespace} edit {ref.kind.lower()} {ref.name}",
            ),
        ],
    )


def _from_flows(facts: Facts) -> list[Candidate]:
    candidates = []
    for path in _group_drops(facts):
        times = [t for t in (flow_time(f) for f in path.drops) if t is not None]
        if not times:
            continue
        last = max(times)
        if facts.now - last > RECENT_DROP or _forwarded_after(facts, path, last):
            continue  # history: the drops stopped, or traffic flows again
        verdict = _verdict(facts, path)
        if verdict.allowed and not path.named_by_hubble:
            continue  # today's policies admit this path: the drops predate a fix
        candidate = _candidate(facts, path, verdict, "flows")
        if candidate is not None:
            candidates.append(candidate)
    return candidates


_DIAL_TIMEOUT = re.compile(
    r"dial tcp (\d+\.\d+\.\d+\.\d+):(\d+): (?:i/o timeout|connect: connection timed out)"
)
_DNS_TIMEOUT = re.compile(r"(\d+\.\d+\.\d+\.\d+):53: (?:read udp [^ ]+: )?i/o timeout")


def _from_logs(facts: Facts) -> list[Candidate]:
    """No flows: a client's timeouts plus a policy that does not admit it (medium confidence)."""
    candidates: list[Candidate] = []
    seen: set[tuple] = set()
    for line in log_lines(facts, re.compile(r"i/o timeout|connection timed out")):
        client = facts.find("Pod", line.namespace, line.pod)
        if client is None:
            continue
        source = Side(line.namespace, labels_of(client), client, workload_of(facts, client))
        dns = _DNS_TIMEOUT.search(line.text)
        dial = _DIAL_TIMEOUT.search(line.text)
        match = dns or dial
        if not match:
            continue
        svc = service_by_cluster_ip(facts, match.group(1))
        if svc is None:
            continue
        pods = selected_pods(facts, svc)
        if not pods:
            continue
        svc_port = int(dial.group(2)) if dial and not dns else DNS_PORT
        target = svc_port
        for port in (svc.get("spec") or {}).get("ports") or []:
            if port.get("port") == svc_port and isinstance(port.get("targetPort"), int):
                target = port["targetPort"]
        destination = Side(namespace_of(svc), labels_of(pods[0]), pods[0], workload_of(facts, pods[0]))
        protocol = "UDP" if dns else "TCP"
        for direction in (EGRESS, INGRESS):
            path = Path(direction, source, destination, target, protocol)
            key = (direction, source.text, destination.text, target)
            if key in seen:
                continue
            verdict = _verdict(facts, path)
            if verdict.allowed:
                continue
            seen.add(key)
            candidate = _candidate(facts, path, verdict, "logs")
            if candidate is not None:
                cite = cite_log(line.namespace, line.pod, line.container, line.previous, line.text)
                if cite not in candidate.cites:
                    candidate.cites.append(cite)
                candidates.append(candidate)
    return candidates


def analyze(facts: Facts) -> list[Candidate]:
    if not list(facts.of_kind("NetworkPolicy")) and not any(is_policy_drop(f) for f in facts.flows):
        return []
    if any(is_policy_drop(f) for f in facts.flows):
        return _from_flows(facts)
    return _from_logs(facts)
