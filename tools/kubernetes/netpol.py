"""Kubernetes NetworkPolicy evaluation over policy dicts, pod labels and namespace labels (pure functions).

The one engine behind the analyzer (``app.diagnose.netpol``), flow attribution
(``tools.flows.attribution``) and the ``k8s_netpol`` report. Semantics follow networking.k8s.io/v1: a
pod is isolated in a direction when any policy in its namespace selects it with that policy type;
isolated traffic is allowed when any rule of any selecting policy admits the peer and the port. Rules'
peers: podSelector (policy's namespace unless a namespaceSelector is given), namespaceSelector
(+ optional podSelector), ipBlock. Absent ``from``/``to`` admits every peer; absent ``ports`` admits
every port. Peers outside the cluster (no namespace) are only admitted by an ipBlock.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from tools.contracts.kube.objects import meta
from tools.contracts.kube.selectors import matches

INGRESS = "Ingress"
EGRESS = "Egress"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every Namespace


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

    number: int | None
    protocol: str = "TCP"
    # containerPort names on the destination pod that map to ``number``; None when unknown (a flow)
    names: tuple[str, ...] | None = ()


@dataclass
class Verdict:
    isolating: list[dict[str, Any]]  # policies selecting the pod in that direction
    allowed_by: list[dict[str, Any]]  # of those, the ones with a rule admitting the peer and port

    @property
    def allowed(self) -> bool:
        return not self.isolating or bool(self.allowed_by)


def policy_namespace(policy: dict[str, Any]) -> str:
    return meta(policy).get("namespace") or "default"


def policy_types(policy: dict[str, Any]) -> list[str]:
    """Declared policyTypes; by default Ingress, plus Egress when the policy has egress rules
    (what the API server fills in)."""
    spec = policy.get("spec") or {}
    declared = spec.get("policyTypes")
    if declared:
        return list(declared)
    return [INGRESS, EGRESS] if spec.get("egress") else [INGRESS]


def selects(policy: dict[str, Any], namespace: str | None, labels: dict[str, str]) -> bool:
    """Does the policy's podSelector pick the pod (namespace, labels)?"""
    if policy_namespace(policy) != namespace:
        return False
    return matches((policy.get("spec") or {}).get("podSelector") or {}, labels)


def selecting_policies(
    policies: list[dict[str, Any]], namespace: str | None, labels: dict[str, str], direction: str
) -> list[dict[str, Any]]:
    """Policies that isolate the pod (namespace, labels) for ``direction`` (INGRESS or EGRESS)."""
    return [p for p in policies if direction in policy_types(p) and selects(p, namespace, labels)]


def ip_in_block(ip: str | None, block: dict[str, Any]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
        if address not in ipaddress.ip_network(block.get("cidr", ""), strict=False):
            return False
        return not any(
            address in ipaddress.ip_network(cidr, strict=False) for cidr in block.get("except") or ()
        )
    except ValueError:
        return False


def peer_matches(rule_peer: dict[str, Any], policy_ns: str | None, peer: Peer) -> bool:
    """Does one ``from``/``to`` entry admit ``peer``?"""
    block = rule_peer.get("ipBlock")
    if block is not None:
        return ip_in_block(peer.ip, block)
    if not peer.namespace:
        return False  # world, host...: only ipBlock can match them
    ns_selector = rule_peer.get("namespaceSelector")
    if ns_selector is None:
        if peer.namespace != policy_ns:
            return False
    else:
        ns_labels = {NAMESPACE_NAME_LABEL: peer.namespace, **peer.namespace_labels}
        if not matches(ns_selector, ns_labels):
            return False
    pod_selector = rule_peer.get("podSelector")
    return pod_selector is None or matches(pod_selector, peer.labels)


def ports_admit(rule_ports: list[dict[str, Any]] | None, port: Port) -> bool | None:
    """Does a rule's ``ports`` list admit the port? Absent or empty admits all. None: only a named
    port could admit it and the pod's port names are unknown (``port.names`` is None)."""
    if not rule_ports:
        return True
    unresolved = False
    for entry in rule_ports:
        entry = entry or {}
        if (entry.get("protocol") or "TCP").upper() != (port.protocol or "").upper():
            continue
        value = entry.get("port")
        if value is None:
            return True
        if isinstance(value, str) and not value.isdigit():
            if port.names is None:
                unresolved = True
            elif value in port.names:
                return True
            continue
        low = int(value)
        high = int(entry.get("endPort") or low)
        if port.number is not None and low <= port.number <= high:
            return True
    return None if unresolved else False


def rules_of(policy: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    spec = policy.get("spec") or {}
    return [rule or {} for rule in spec.get("ingress" if direction == INGRESS else "egress") or ()]


def rule_peers(rule: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    """The rule's ``from`` (ingress) or ``to`` (egress) entries; empty admits every peer."""
    return [item or {} for item in rule.get("from" if direction == INGRESS else "to") or ()]


def rule_admits_peer(rule: dict[str, Any], direction: str, policy_ns: str | None, peer: Peer) -> bool:
    peers = rule_peers(rule, direction)
    return not peers or any(peer_matches(item, policy_ns, peer) for item in peers)


def rule_admits(rule: dict[str, Any], direction: str, policy_ns: str | None, peer: Peer, port: Port) -> bool:
    return rule_admits_peer(rule, direction, policy_ns, peer) and ports_admit(rule.get("ports"), port) is True


def policy_admits(policy: dict[str, Any], direction: str, peer: Peer, port: Port) -> bool:
    namespace = policy_namespace(policy)
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
