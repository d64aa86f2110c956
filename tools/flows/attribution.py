"""Which Kubernetes NetworkPolicy explains a policy drop, and why.

For a dropped flow, the policies that matter are those selecting the destination pod for ingress, or
the source pod for egress (``podSelector`` + ``policyTypes``). Each rule of each such policy is
checked against the peer (``podSelector``/``namespaceSelector``/``ipBlock``, using the flow's endpoint
labels) and the port, so the answer reads like a person's: "dropped by NetworkPolicy
data/db-allow-web, which only allows ingress from app=web on 5432".

Everything here is a pure function of the flow, a list of NetworkPolicy dicts and a namespace-label
map, so it is testable without a cluster. :func:`fetch_policies` reads them through ``ctx.kube``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tools.contracts.kube.objects import meta
from tools.contracts.kube.selectors import selector_text
from tools.flows.model import Flow, FlowView, label_map, pod_display
from tools.kubernetes import netpol
from tools.kubernetes.netpol import Peer, Port

Direction = Literal["ingress", "egress"]
Outcome = Literal["denied", "allowed", "not-isolated", "unknown"]

# Cilium adds these to endpoint labels; they are not pod labels a podSelector would be written against.
_NON_POD_LABEL_PREFIXES = ("io.cilium.k8s.", "io.kubernetes.pod.namespace", "reserved:")
_NAMESPACE_LABEL_PREFIX = "io.cilium.k8s.namespace.labels."


class ObjectLister(Protocol):
    """The one method of the Kubernetes access object (``ctx.kube``) this module needs."""

    def list_objects(
        self,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class RuleCheck:
    description: str  # "from app=web on 5432"
    admits_peer: bool
    admits_port: bool | None  # None: a named port that a flow cannot resolve


@dataclass
class PolicyCheck:
    namespace: str
    name: str
    direction: Direction
    rules: list[RuleCheck]

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def admits(self) -> bool:
        return any(rule.admits_peer and rule.admits_port for rule in self.rules)

    @property
    def maybe_admits(self) -> bool:
        """A rule admits the peer on a named port: cannot be settled from a flow."""
        return any(rule.admits_peer and rule.admits_port is None for rule in self.rules)

    @property
    def summary(self) -> str:
        if not self.rules:
            return f"allows no {self.direction} (default deny)"
        return f"only allows {self.direction} " + "; ".join(rule.description for rule in self.rules)


@dataclass
class Attribution:
    """The verdict for one direction of one dropped flow."""

    direction: Direction
    subject: str  # the pod the policies select
    peer: str
    port: int | None
    protocol: str | None
    outcome: Outcome
    explanation: str
    policies: list[PolicyCheck] = field(default_factory=list)
    denied_by: list[str] = field(default_factory=list)  # named by Hubble itself (newer Cilium)

    def as_row(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "subject": self.subject,
            "peer": self.peer,
            "port": self.port,
            "protocol": self.protocol,
            "outcome": self.outcome,
            "explanation": self.explanation,
            "policies": [
                {"namespace": p.namespace, "name": p.name, "admits": p.admits, "summary": p.summary}
                for p in self.policies
            ],
            "denied_by": self.denied_by,
        }


def attribute_flow(
    flow: Flow,
    policies: list[dict[str, Any]] | None,
    namespace_labels: dict[str, dict[str, str]] | None = None,
) -> list[Attribution]:
    """Explain a dropped flow with the NetworkPolicies given (None: policies could not be read).
    Checks the direction Hubble reports (``traffic_direction``), or both when it is unknown."""
    view = FlowView(flow)
    directions: list[Direction]
    if view.direction == "INGRESS":
        directions = ["ingress"]
    elif view.direction == "EGRESS":
        directions = ["egress"]
    else:
        directions = ["ingress", "egress"]
    return [_attribute(view, direction, policies, namespace_labels or {}) for direction in directions]


def _attribute(
    view: FlowView,
    direction: Direction,
    policies: list[dict[str, Any]] | None,
    namespace_labels: dict[str, dict[str, str]],
) -> Attribution:
    if direction == "ingress":
        subject, subject_ip, peer, peer_ip = (
            view.destination,
            view.destination_ip,
            view.source,
            view.source_ip,
        )
        denied_key = "ingress_denied_by"
    else:
        subject, subject_ip, peer, peer_ip = (
            view.source,
            view.source_ip,
            view.destination,
            view.destination_ip,
        )
        denied_key = "egress_denied_by"
    port = view.destination_port
    protocol = view.protocol
    result = Attribution(
        direction=direction,
        subject=pod_display(subject, subject_ip),
        peer=pod_display(peer, peer_ip),
        port=port,
        protocol=protocol,
        outcome="unknown",
        explanation="",
        denied_by=[_policy_ref(item) for item in view.raw.get(denied_key) or ()],
    )
    preposition = "from" if direction == "ingress" else "to"
    traffic = f"{direction} {preposition} {result.peer} on {_port_text(protocol, port)}"
    named = f" Hubble names the denying policy: {', '.join(result.denied_by)}." if result.denied_by else ""
    subject_namespace = subject.get("namespace")
    if not subject_namespace or (not subject.get("pod_name") and not subject.get("labels")):
        result.explanation = (
            f"{result.subject} is not a pod, so no NetworkPolicy applies to its {direction}.{named}"
        )
        return result
    if policies is None:
        result.explanation = (
            f"NetworkPolicies could not be read, so this drop ({traffic}) is not attributed.{named}"
        )
        return result
    subject_labels = pod_labels(subject)
    other = Peer(
        peer.get("namespace"), pod_labels(peer), namespace_labels_for(peer, namespace_labels), peer_ip
    )
    # A flow does not carry the destination pod's container port names: a named port stays unresolved.
    flow_port = Port(port, protocol or "", names=None)
    for policy in policies:
        check = _check_policy(policy, direction, subject_namespace, subject_labels, other, flow_port)
        if check is not None:
            result.policies.append(check)
    if not result.policies:
        result.outcome = "not-isolated"
        result.explanation = (
            f"No NetworkPolicy selects {result.subject} for {direction}, so a Kubernetes NetworkPolicy "
            f"did not drop this {traffic}; look at CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy"
            f"{' or the peer egress policies' if direction == 'ingress' else ''}.{named}"
        )
        return result
    admitting = [check for check in result.policies if check.admits]
    if admitting:
        result.outcome = "allowed"
        refs = ", ".join(check.ref for check in admitting)
        result.explanation = (
            f"NetworkPolicy {refs} admits this {traffic}; the drop comes from elsewhere (a Cilium policy, "
            f"the other side's policy, or a policy not yet applied).{named}"
        )
        return result
    unresolved = [check for check in result.policies if check.maybe_admits]
    if unresolved:
        refs = ", ".join(check.ref for check in unresolved)
        result.explanation = (
            f"NetworkPolicy {refs} admits {result.peer} on a named port; whether that is "
            f"{_port_text(protocol, port)} depends on the pod's container port names, which flows "
            f"do not carry.{named}"
        )
        return result
    result.outcome = "denied"
    details = [
        f"{check.ref}, which {check.summary}{_near_miss(check, result.peer)}" for check in result.policies
    ]
    if len(details) == 1:
        result.explanation = f"Dropped by NetworkPolicy {details[0]}."
    else:
        result.explanation = (
            f"No NetworkPolicy selecting {result.subject} allows {traffic}: " + "; ".join(details) + "."
        )
    labels = ",".join(f"{key}={value}" for key, value in sorted(pod_labels(peer).items())[:4])
    if labels:
        result.explanation += f" The peer {result.peer} has labels {labels}."
    result.explanation += named
    return result


def _near_miss(check: PolicyCheck, peer: str) -> str:
    """Say so when a rule admits the peer but not this port: the classic port mismatch."""
    if any(rule.admits_peer and rule.admits_port is False for rule in check.rules):
        return f" (it admits {peer}, but not on this port)"
    return ""


def _check_policy(
    policy: dict[str, Any],
    direction: Direction,
    subject_namespace: str,
    subject_labels: dict[str, str],
    peer: Peer,
    port: Port,
) -> PolicyCheck | None:
    policy_direction = netpol.INGRESS if direction == "ingress" else netpol.EGRESS
    if policy_direction not in netpol.policy_types(policy):
        return None
    if not netpol.selects(policy, subject_namespace, subject_labels):
        return None
    namespace = netpol.policy_namespace(policy)
    rules = []
    for rule in netpol.rules_of(policy, policy_direction):
        peers = netpol.rule_peers(rule, policy_direction)
        ports = rule.get("ports") or []
        description = (
            f"{'from' if direction == 'ingress' else 'to'} {_describe_peers(peers, namespace)}"
            f" on {_describe_ports(ports)}"
        )
        rules.append(
            RuleCheck(
                description,
                netpol.rule_admits_peer(rule, policy_direction, namespace, peer),
                netpol.ports_admit(ports, port),
            )
        )
    name = meta(policy).get("name", "?")
    return PolicyCheck(namespace=namespace, name=name, direction=direction, rules=rules)


def pod_labels(endpoint: dict[str, Any] | None) -> dict[str, str]:
    """The pod's own labels from Hubble endpoint labels (Cilium's bookkeeping labels removed)."""
    return {
        key: value
        for key, value in label_map(endpoint).items()
        if not key.startswith(_NON_POD_LABEL_PREFIXES)
    }


def namespace_labels_for(endpoint: dict[str, Any] | None, known: dict[str, dict[str, str]]) -> dict[str, str]:
    """Labels of the endpoint's namespace: from Namespace objects when known, else from the
    ``io.cilium.k8s.namespace.labels.*`` labels Cilium copies onto endpoints."""
    namespace = (endpoint or {}).get("namespace")
    if not namespace:
        return {}
    labels = dict(known.get(namespace) or {})
    if namespace not in known:
        for key, value in label_map(endpoint).items():
            if key.startswith(_NAMESPACE_LABEL_PREFIX):
                labels[key[len(_NAMESPACE_LABEL_PREFIX) :]] = value
    labels.setdefault("kubernetes.io/metadata.name", namespace)
    return labels


def fetch_policies(kube: ObjectLister) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """NetworkPolicies of every namespace and the labels of every Namespace, through ``ctx.kube``."""
    policies = kube.list_objects(kind="NetworkPolicy", namespace=None)
    namespaces = kube.list_objects(kind="Namespace")
    labels = {meta(item).get("name", ""): dict(meta(item).get("labels") or {}) for item in namespaces}
    return list(policies), labels


# --- descriptions ----------------------------------------------------------------------------------


def _describe_peers(peers: list[dict[str, Any]], policy_namespace: str) -> str:
    if not peers:
        return "anywhere"
    described = []
    for peer in peers:
        peer = peer or {}
        block = peer.get("ipBlock")
        if block is not None:
            excepted = block.get("except") or []
            described.append(f"{block.get('cidr')}" + (f" except {','.join(excepted)}" if excepted else ""))
            continue
        pods = selector_text(peer.get("podSelector")) or "any pod"
        if "namespaceSelector" not in peer:
            described.append(pods if pods != "any pod" else f"any pod in {policy_namespace}")
            continue
        namespaces = selector_text(peer.get("namespaceSelector"))
        where = f"namespaces {namespaces}" if namespaces else "all namespaces"
        described.append(f"{pods} in {where}")
    return " or ".join(described)


def _describe_ports(ports: list[dict[str, Any]]) -> str:
    if not ports:
        return "any port"
    described = []
    for item in ports:
        item = item or {}
        protocol = (item.get("protocol") or "TCP").upper()
        port = item.get("port")
        if port is None:
            described.append(f"all {protocol} ports")
            continue
        text = f"{port}-{item['endPort']}" if item.get("endPort") else str(port)
        described.append(text if protocol == "TCP" else f"{protocol} {text}")
    return ", ".join(described)


def _port_text(protocol: str | None, port: int | None) -> str:
    if port is None:
        return protocol or "any protocol"
    return f"{protocol or 'TCP'} {port}"


def _policy_ref(item: dict[str, Any]) -> str:
    kind = item.get("kind") or "policy"
    namespace = item.get("namespace")
    name = item.get("name") or "?"
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
