"""NetworkCapacity: a node out of pod IPs or conntrack entries.

Evidence: recent ``FailedCreatePodSandBox`` events "... no IP addresses available in range set: ..."
on pods still not running (grouped by node), ``conntrack_ratio`` near 1 on a node, kernel
``nf_conntrack: table full, dropping packet`` lines in any gathered log or event, Hubble
``CT_MAP_INSERTION_FAILED`` drops (Cilium's own conntrack map full). MTU mismatch is not visible in
these facts and is not judged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import FactRef, Facts
from app.diagnose.flow_facts import is_recent
from app.diagnose.k8s_facts import pods_on_node
from app.diagnose.log_facts import log_lines
from app.diagnose.series import label, sustained_above
from app.diagnose.workload_facts import cite_event, cite_log, cite_metric, pod_ref, recent_events
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.wording import plural, verb

IP_EXHAUSTED = "no IP addresses available in range set"
CONNTRACK_FULL = "nf_conntrack: table full"
CONNTRACK_HIGH = 0.9


def _node_of_event(facts: Facts, event: dict[str, Any]) -> str | None:
    involved = event.get("involvedObject") or {}
    pod = facts.find("Pod", involved.get("namespace"), involved.get("name", ""))
    if pod is not None and (pod.get("spec") or {}).get("nodeName"):
        return pod["spec"]["nodeName"]
    host = (event.get("source") or {}).get("host") or event.get("reportingInstance")
    return host or None


def _steps(node: str) -> list[NextStep]:
    return [
        NextStep(description="Read the node's events and pod CIDR", command=f"kubectl describe node {node}"),
        NextStep(
            description="Count the pods on it",
            command=f"kubectl get pods -A -o wide --field-selector spec.nodeName={node}",
        ),
    ]


def _ip_exhaustion(facts: Facts) -> list[Candidate]:
    by_node: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in recent_events(facts, ["FailedCreatePodSandBox"], kind="Pod"):
        if IP_EXHAUSTED not in (event.get("message") or ""):
            continue
        involved = event.get("involvedObject") or {}
        pod = facts.find("Pod", involved.get("namespace"), involved.get("name", ""))
        if pod is not None and (pod.get("status") or {}).get("phase") == "Running":
            continue  # it got an address since
        node = _node_of_event(facts, event)
        if node:
            by_node[node].append(event)
    candidates = []
    for node, events in sorted(by_node.items()):
        message = events[0].get("message", "")
        range_text = message.split(IP_EXHAUSTED, 1)[1].lstrip(": ").strip() if IP_EXHAUSTED in message else ""
        affected = []
        for event in events:
            involved = event.get("involvedObject") or {}
            affected.append(
                ResourceRef(kind="Pod", namespace=involved.get("namespace"), name=involved.get("name", ""))
            )
        candidates.append(
            Candidate(
                title=f"Node {node} has no free pod IP addresses: new pods cannot start there",
                category=Category.NetworkCapacity,
                resource=ResourceRef(kind="Node", namespace=None, name=node),
                confidence=0.9,
                explanation=(
                    f"The CNI on node {node} cannot allocate an IP for new pods ({IP_EXHAUSTED}"
                    + (f": {range_text}" if range_text else "")
                    + f"); {plural(len(events), 'pod')} {verb(len(events), 'is', 'are')} stuck "
                    f"creating their sandbox. "
                    "Addresses leaked by deleted pods "
                    "or a too-small pod CIDR are the usual causes."
                ),
                cites=[cite_event(e) for e in events[:2]],
                affected=list({str(a): a for a in affected}.values())[:10],
                severity=2,
                next_steps=_steps(node),
            )
        )
    return candidates


def _conntrack(facts: Facts) -> list[Candidate]:
    nodes: dict[str, list[Cite]] = defaultdict(list)
    for series in facts.metrics.get("conntrack_ratio", []):
        node = label(series, "node")
        if node and sustained_above(series, facts.now, CONNTRACK_HIGH, minutes=10):
            nodes[node].append(cite_metric("conntrack_ratio", node))
    for line in log_lines(facts, CONNTRACK_FULL):
        node = _pod_node(facts, line.namespace, line.pod)
        if node:
            nodes[node].append(cite_log(line.namespace, line.pod, line.container, line.previous, line.text))
    for event in recent_events(facts, {e.get("reason", "") for e in facts.events}):
        if CONNTRACK_FULL in (event.get("message") or ""):
            node = (event.get("involvedObject") or {}).get("name", "")
            if (event.get("involvedObject") or {}).get("kind") == "Node":
                nodes[node].append(cite_event(event))
    window = timedelta(minutes=20)
    for flow in facts.flows:
        if flow.get("drop_reason_desc") == "CT_MAP_INSERTION_FAILED" and is_recent(flow, facts.now, window):
            node = str(flow.get("node_name", "")).split("/")[-1]
            if node and not any(c.ref.kind == "flows" for c in nodes[node]):
                nodes[node].append(Cite(FactRef("flows", ("drops",)), "CT_MAP_INSERTION_FAILED"))
    candidates = []
    for node, cites in sorted(nodes.items()):
        if not cites:
            continue
        pods = pods_on_node(facts, node)
        candidates.append(
            Candidate(
                title=f"Node {node} conntrack table is full: new connections are dropped",
                category=Category.NetworkCapacity,
                resource=ResourceRef(kind="Node", namespace=None, name=node),
                confidence=0.85 if len(cites) > 1 else 0.75,
                explanation=(
                    f"The connection-tracking table on node {node} is (nearly) full, "
                    "so the kernel drops packets "
                    "of new connections: clients see timeouts to any destination. Raise nf_conntrack_max (or "
                    "Cilium's CT map size) or find the workload opening connections without reuse."
                ),
                cites=cites,
                affected=[pod_ref(p) for p in pods[:10]],
                severity=2,
                next_steps=[
                    *_steps(node),
                    NextStep(
                        description="Check conntrack usage on the node",
                        command=f"kubectl debug node/{node} -it --image=busybox -- "
                        "sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max",
                    ),
                ],
            )
        )
    return candidates


def _pod_node(facts: Facts, namespace: str, name: str) -> str | None:
    pod = facts.find("Pod", namespace, name)
    return (pod.get("spec") or {}).get("nodeName") if pod else None


def analyze(facts: Facts) -> list[Candidate]:
    return _ip_exhaustion(facts) + _conntrack(facts)
