"""NetworkPolicy verdicts for analyzers: the engine is :mod:`tools.kubernetes.netpol`; this module adds
the words an analyzer shows ("from pods app=web in namespace shop on TCP 5432").
"""

from __future__ import annotations

from typing import Any

from tools.contracts.kube.objects import meta
from tools.contracts.kube.selectors import selector_text
from tools.kubernetes.netpol import (
    EGRESS,
    INGRESS,
    Peer,
    Port,
    Verdict,
    evaluate,
    policy_types,
    rules_of,
)

__all__ = [
    "EGRESS",
    "INGRESS",
    "Peer",
    "Port",
    "Verdict",
    "describe_allowed",
    "describe_peer",
    "describe_ports",
    "evaluate",
    "policy_types",
    "rules_of",
]


def describe_peer(rule_peer: dict[str, Any], policy_namespace: str | None) -> str:
    if "ipBlock" in rule_peer:
        return f"ipBlock {rule_peer['ipBlock'].get('cidr')}"
    pods = rule_peer.get("podSelector")
    namespaces = rule_peer.get("namespaceSelector")
    pod_text = f"pods {(selector_text(pods) or 'any')}" if pods is not None else "all pods"
    if namespaces is None:
        return f"{pod_text} in namespace {policy_namespace}"
    return f"{pod_text} in namespaces {(selector_text(namespaces) or 'any')}"


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
    namespace = meta(policy).get("namespace")
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
