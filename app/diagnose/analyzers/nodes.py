"""NodeNotReady and NodePressure: nodes whose kubelet, runtime or CNI is down, or that evict pods.

Evidence: the node's current Ready condition (False/Unknown, NodeStatusUnknown "Kubelet stopped posting
node status.", KubeletNotReady "... cni plugin not initialized"), unreachable/not-ready taints, the pods
scheduled there; Memory/Disk/PID pressure conditions, Evicted pods ("The node was low on resource: ..."),
``node_filesystem_avail_ratio`` and ``node_memory_available_ratio``. A node Ready now is not blamed for an
old NotReady; evictions older than the recent window on a node without pressure are history. Pods still
bound to a node that no longer exists (NodeLost, Unknown, stuck Terminating) name that node too.
"""

from __future__ import annotations

import re
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import RECENT, condition, event_time, is_recent
from app.diagnose.series import label, latest
from app.diagnose.state_facts import evicted_for_own_limit
from app.diagnose.workload_facts import cite_event, cite_metric, cite_object, pod_ref, recent_events
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.kube.pod_status import pod_status
from tools.contracts.wording import clipped, plural, verb

PRESSURES = {"MemoryPressure": "memory", "DiskPressure": "disk", "PIDPressure": "PIDs"}
LOW_RATIO = 0.10  # node-exporter headroom below which pressure is imminent
NOT_READY_TAINTS = ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")


def _node_ref(node: dict[str, Any]) -> ResourceRef:
    return ResourceRef(kind="Node", namespace=None, name=name_of(node))


PodsByNode = dict[str, list[dict[str, Any]]]


def pods_by_node(facts: Facts) -> PodsByNode:
    """Pods grouped by spec.nodeName, built once per analysis (a big cluster has thousands of nodes)."""
    index: PodsByNode = {}
    for pod in facts.of_kind("Pod"):
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            index.setdefault(node, []).append(pod)
    return index


def _steps(node: str) -> list[NextStep]:
    return [
        NextStep(
            description="Read the node's conditions and events", command=f"kubectl describe node {node}"
        ),
        NextStep(
            description="See the pods on it",
            command=f"kubectl get pods -A -o wide --field-selector spec.nodeName={node}",
        ),
    ]


def _not_ready(facts: Facts, node: dict[str, Any], by_node: PodsByNode) -> Candidate | None:
    ready = condition(node, "Ready")
    if ready is None or ready.get("status") == "True":
        return None
    name = name_of(node)
    reason = ready.get("reason") or "NotReady"
    message = ready.get("message") or ""
    taints = [
        t.get("key") for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") in NOT_READY_TAINTS
    ]
    pods = [
        p
        for p in by_node.get(name, [])
        if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]
    cites: list[Cite] = [cite_object(node, message or reason, "Node")]
    for event in recent_events(facts, ["NodeNotReady", "NodeStatusUnknown"], kind="Node")[:1]:
        if (event.get("involvedObject") or {}).get("name") == name:
            cites.append(cite_event(event))
    for event in recent_events(facts, ["NodeNotReady"], kind="Pod")[:1]:
        cites.append(cite_event(event))
    if "cni" in message.lower() or "network plugin" in message.lower():
        cause = "the CNI plugin is not initialized (the network agent on the node is down)"
    elif reason == "NodeStatusUnknown" or ready.get("status") == "Unknown":
        cause = "the kubelet stopped posting status (node down, kubelet crashed or network partition)"
    elif "pleg" in message.lower() or "container runtime is down" in message.lower():
        cause = "the container runtime is down or stuck (PLEG is not healthy): the kubelet loses its pods"
    elif message:
        cause = f"the kubelet reports: {clipped(message, 120)}"
    else:
        cause = f"the kubelet reports {reason}"
    status = ready.get("status")
    return Candidate(
        title=f"Node {name} is NotReady ({reason}): {cause}",
        category=Category.NodeNotReady,
        resource=_node_ref(node),
        confidence=0.9,
        explanation=(
            f"Node {name} has Ready={status} since {ready.get('lastTransitionTime', '?')} "
            f"({reason}: {message}). "
            f"Cause: {cause}."
            + (f" Taints {', '.join(taints)} keep new pods off it." if taints else "")
            + (
                f" {plural(len(pods), 'pod')} scheduled there {verb(len(pods), 'is', 'are')} affected."
                if pods
                else ""
            )
        ),
        cites=cites,
        affected=[pod_ref(p) for p in pods[:10]],
        severity=3 if pods else 2,
        next_steps=[
            *_steps(name),
            NextStep(
                description="Check the kubelet and container runtime on the node",
                command=f"kubectl debug node/{name} -it --image=busybox -- "
                "chroot /host journalctl -u kubelet -n 50",
            ),
        ],
    )


def _evicted(facts: Facts, node_pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for pod in node_pods:
        status = pod.get("status") or {}
        if status.get("reason") != "Evicted" or evicted_for_own_limit(pod):
            continue  # a pod over its own ephemeral-storage limit is VolumeFull, not the node's pressure
        if _evicted_recently(facts, pod):
            found.append(pod)
    return found


def _evicted_recently(facts: Facts, pod: dict[str, Any]) -> bool:
    """By the pod's Evicted event, else its DisruptionTarget/Ready transition; no time at all counts."""
    events = facts.events_for("Pod", namespace_of(pod), name_of(pod))
    times = [event_time(e) for e in events if e.get("reason") == "Evicted"]
    if any(times):
        return any(t is not None and facts.now - t <= RECENT for t in times)
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("DisruptionTarget", "Ready") and cond.get("lastTransitionTime"):
            return is_recent(cond["lastTransitionTime"], facts.now)
    return True


def _low_metric(facts: Facts, node_name: str) -> list[tuple[str, float]]:
    low = []
    for metric in ("node_filesystem_avail_ratio", "node_memory_available_ratio"):
        for series in facts.metrics.get(metric, []):
            if label(series, "node") != node_name:
                continue
            value = latest(series, facts.now)
            if value is not None and value < LOW_RATIO:
                low.append((metric, value))
    return low


# "The node was low on resource: memory." / "ephemeral-storage" in an evicted pod's message
_LOW_ON = re.compile(r"low on resource: ([\w-]+)")
_EVICTED_FOR = {"ephemeral-storage": "disk", "nodefs": "disk", "imagefs": "disk", "pids": "PID"}


def _pressure(facts: Facts, node: dict[str, Any], by_node: PodsByNode) -> Candidate | None:
    name = name_of(node)
    active = [
        (kind, condition(node, kind))
        for kind in PRESSURES
        if (condition(node, kind) or {}).get("status") == "True"
    ]
    evicted = _evicted(facts, by_node.get(name, []))
    low = _low_metric(facts, name)
    if not active and not evicted and not low:
        return None
    cites: list[Cite] = [cite_object(node, cond.get("reason") or kind, "Node") for kind, cond in active]
    cites.extend(cite_object(p, (p.get("status") or {}).get("message") or "Evicted") for p in evicted[:2])
    cites.extend(cite_metric(metric, name) for metric, _ in low)
    events = [
        e
        for e in recent_events(
            facts, ["EvictionThresholdMet", "NodeHasDiskPressure", "NodeHasInsufficientMemory"]
        )
        if (e.get("involvedObject") or {}).get("name") == name
    ]
    cites.extend(cite_event(e) for e in events[:1])
    resources = [PRESSURES[kind] for kind, _ in active]
    resources += [("disk" if "filesystem" in metric else "memory") for metric, _ in low]
    messages = sorted(
        {
            (p.get("status") or {}).get("message", "")
            for p in evicted
            if (p.get("status") or {}).get("message")
        }
    )
    resources += [_EVICTED_FOR.get(m, m) for text in messages for m in _LOW_ON.findall(text)]
    resources = list(dict.fromkeys(resources)) or ["resource"]
    text = f"Node {name} is under {' and '.join(resources)} pressure"
    detail = []
    if active:
        detail.append("conditions " + ", ".join(f"{kind}=True" for kind, _ in active))
    if low:
        detail.append(", ".join(f"{metric} at {value:.0%}" for metric, value in low))
    if evicted:
        detail.append(
            f"{plural(len(evicted), 'pod')} evicted recently" + (f": {messages[0]}" if messages else "")
        )
    return Candidate(
        title=text + (f"; {plural(len(evicted), 'pod')} evicted" if evicted else ""),
        category=Category.NodePressure,
        resource=_node_ref(node),
        confidence=0.9 if active or (low and evicted) else (0.7 if low else 0.6),
        explanation=f"{text}: {'; '.join(detail)}. The kubelet evicts pods to reclaim it.",
        cites=cites,
        affected=[pod_ref(p) for p in evicted[:10]],
        severity=2 if active or evicted else 1,
        next_steps=[
            *_steps(name),
            NextStep(
                description="Find what fills the node (largest pods / images / logs)",
                command=f"kubectl describe node {name} | grep -A8 Allocated",
            ),
        ],
    )


def _gone(facts: Facts, name: str, pods: list[dict[str, Any]]) -> Candidate | None:
    """Pods bound to a node the API no longer has: the node was removed (or lost) under them."""
    stuck = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    if not stuck:
        return None
    states = sorted({pod_status(p) for p in stuck})
    return Candidate(
        title=f"Node {name} is gone: {plural(len(stuck), 'pod')} still bound to it ({', '.join(states)})",
        category=Category.NodeNotReady,
        resource=ResourceRef(kind="Node", namespace=None, name=name),
        confidence=0.8,
        explanation=(
            f"No Node {name} exists any more, yet {plural(len(stuck), 'pod')} "
            f"{verb(len(stuck), 'is', 'are')} still bound to it and read "
            f"{', '.join(states)}: the node was deleted or lost without its pods being cleaned up. Their "
            "controllers replace them elsewhere only once they are gone; a pod stuck on a finalizer or "
            "a StatefulSet pod waits until it is force-deleted."
        ),
        cites=[
            cite_object(p, (p.get("status") or {}).get("message") or pod_status(p), "Pod") for p in stuck[:2]
        ],
        affected=[pod_ref(p) for p in stuck[:10]],
        severity=3,
        next_steps=[
            NextStep(
                description="See the pods still bound to it",
                command=f"kubectl get pods -A -o wide --field-selector spec.nodeName={name}",
            ),
            NextStep(description="Check the node list", command="kubectl get nodes"),
        ],
    )


def analyze(facts: Facts) -> list[Candidate]:
    candidates: list[Candidate] = []
    by_node = pods_by_node(facts)
    known = {name_of(node) for node in facts.of_kind("Node")}
    if known and "Node" not in facts.unread:  # an unread node list proves nothing gone
        for name in sorted(set(by_node) - known):
            gone = _gone(facts, name, by_node[name])
            if gone is not None:
                candidates.append(gone)
    for node in facts.of_kind("Node"):
        not_ready = _not_ready(facts, node, by_node)
        if not_ready is not None:
            candidates.append(not_ready)
            continue  # a NotReady node's pressure conditions are stale by definition
        pressure = _pressure(facts, node, by_node)
        if pressure is not None:
            candidates.append(pressure)
    return candidates
