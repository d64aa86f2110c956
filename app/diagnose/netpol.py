"""Kubernetes NetworkPolicy evaluation over policy dicts, pod labels and namespace labels (pure functions).

Semantics follow networking.k8s.io/v1: a pod is isolated in a direction when any policy in its namespace
selects it with that policy type; isolated traffic is allowed when any rule of any selecting policy admits
the peer and the port. Rules' peers: podSelector (policy's namespace unless a namespaceSelector is given),
namespaceSelector (+ optional podSelector), ipBlock. Absent ``from``/``to`` admits every peer; absent
``ports`` admits every port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from tools.kubernetes.labels import matches

INGRESS = "Ingress"
EGRESS = "Egress"


@dataclass(frozen=True)
class Peer:
    """The other end of a connection as a policy sees it."""

    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict)
    namespace_labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None


@dataclass(frozen=True)
class Port:
    """The destination port: number, protocol, and the names the destination pod gives its ports."""

    number: int
    protocol: str = "TCP"
    names: tuple[str, ...] = ()  # containerPort names on the destination pod that map to ``number``


@dataclass
class Verdict:
    isolating: list[dict[str, Any]]  # policies selecting the pod in that direction
    allowed_by: list[dict[str, Any]]  # of those, the ones with a rule admitting the peer and port

    @property
    def allowed(self) -> bool:
        return not self.isolating or bool(self.allowed_by)


def policy_types(policy: dict[str, Any]) -> set[str]:
    """Declared policyTypes; by default Ingress always, Egress when the policy has an egress section."""
    spec = policy.get("spec") or {}
    declared = spec.get("policyTypes")
    if declared:
        return set(declared)
    return {INGRESS, EGRESS} if "egress" in spec else {INGRESS}


def selects(policy: dict[str, Any], namespace: str | None, labels: dict[str, str]) -> bool:
    if (policy.get("metadata") or {}).get("namespace") != namespace:
        return False
    return matches((policy.get("spec") or {}).get("podSelector") or {}, labels)


def selecting_policies(
    policies: list[dict[str, Any]], namespace: str | None, labels: dict[str, str], direction: str
) -> list[dict[str, Any]]:
    """Policies that isolate the pod (namespace, labels) for ``direction`` (INGRESS or EGRESS)."""
    return [p for p in policies if direction in policy_types(p) and selects(p, namespace, labels)]


def _ip_in_block(ip: str | None, block: dict[str, Any]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
        if address not in ipaddress.ip_network(block.get("cidr", ""), strict=False):
            return False
        return not any(
            address in ipaddress.ip_network(cidr, strict=False) for cidr in block.get("except") or []
        )
    except ValueError:
        return False


def peer_matches(rule_peer: dict[str, Any], policy_namespace: str | None, peer: Peer) -> bool:
    """Does one ``from``/``to`` entry admit ``peer``?"""
    if "ipBlock" in rule_peer:
        return _ip_in_block(peer.ip, rule_peer["ipBlock"])
    ns_selector = rule_peer.get("namespaceSelector")
    pod_selector = rule_peer.get("podSelector")
    if ns_selector is None:
        if peer.namespace != policy_namespace:
            return False
    else:
        ns_labels = peer.namespace_labels or {"kubernetes.io/metadata.name": peer.namespace or ""}
        if not matches(ns_selector, ns_labels):
            return False
    return pod_selector is None or matches(pod_selector, peer.labels)


def port_matches(rule_ports: list[dict[str, Any]] | None, port: Port) -> bool:
    """Does a rule's ``ports`` list admit the port? Absent or empty admits all."""
    if not rule_ports:
        return True
    for entry in rule_ports:
        if (entry.get("protocol") or "TCP") != port.protocol:
            continue
        value = entry.get("port")
        if value is None:
            return True
        if isinstance(value, str) and not value.isdigit():
            if value in port.names:
                return True
            continue
        low = int(value)
        high = int(entry.get("endPort") or low)
        if low <= port.number <= high:
            return True
    return False


def rules_of(policy: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    spec = policy.get("spec") or {}
    return spec.get("ingress" if direction == INGRESS else "egress") or []


def rule_admits(
    rule: dict[str, Any], direction: str, policy_namespace: str | None, peer: Peer, port: Port
) -> bool:
    peers = rule.get("from" if direction == INGRESS else "to")
    if peers and not any(peer_matches(p, policy_namespace, peer) for p in peers):
        return False
    return port_matches(rule.get("ports"), port)


def policy_admits(policy: dict[str, Any], direction: str, peer: Peer, port: Port) -> bool:
    namespace = (policy.get("metadata") or {}).get("namespace")
    return any(rule_admits(rule, direction, namespace, peer, port) for rule in rules_of(policy, direction))


def evaluate(
    policies: list[dict[str, Any]],
    direction: str,
    namespace: str | None,
    labels: dict[str, str],
    peer: Peer,
    port: Port,
) -> Verdict:
    """Is traffic to (INGRESS) or from (EGRESS) the pod (namespace, labels) with ``peer`` on ``port`` ok?"""
    isolating = selecting_policies(policies, namespace, labels, direction)
    allowed_by = [p for p in isolating if policy_admits(p, direction, peer, port)]
    return Verdict(isolating=isolating, allowed_by=allowed_by)


def _describe_selector(selector: dict[str, Any] | None) -> str:
    if not selector:
        return "any"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values") or [])
        parts.append(
            f"{expr.get('key')} {expr.get('operator')} ({values})" if values else expr.get("key", "")
        )
    return ",".join(parts) or "any"


def describe_peer(rule_peer: dict[str, Any], policy_namespace: str | None) -> str:
    if "ipBlock" in rule_peer:
        return f"ipBlock {rule_peer['ipBlock'].get('cidr')}"
    pods = rule_peer.get("podSelector")
    namespaces = rule_peer.get("namespaceSelector")
    pod_text = f"pods {_describe_selector(pods)}" if pods is not None else "all pods"
    if namespaces is None:
        return f"{pod_text} in namespace {policy_namespace}"
    return f"{pod_text} in namespaces {_describe_selector(namespaces)}"


def describe_ports(rule_ports: list[dict[str, Any]] | None) -> str:
    if not rule_ports:
        return "any port"
    texts = []
    for entry in rule_ports:
        proto = entry.get("protocol") or "TCP"
        value = entry.get("port")
        end = entry.get("endPort")
        texts.append(f"{proto} {value}-{end}" if end else f"{proto} {value if value is not None else 'any'}")
    return ", ".join(texts)


def describe_allowed(policy: dict[str, Any], direction: str) -> str:
    """What the policy admits in ``direction`` in words: "from pods app=web in namespace shop on TCP 5432"."""
    namespace = (policy.get("metadata") or {}).get("namespace")
    rules = rules_of(policy, direction)
    if not rules:
        return "nothing (deny all)"
    word = "from" if direction == INGRESS else "to"
    texts = []
    for rule in rules:
        peers = rule.get("from" if direction == INGRESS else "to")
        who = "; ".join(describe_peer(p, namespace) for p in peers) if peers else "anywhere"
        texts.append(f"{word} {who} on {describe_ports(rule.get('ports'))}")
    return " | ".join(texts)
