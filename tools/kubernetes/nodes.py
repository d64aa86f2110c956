"""Node status: conditions, taints, allocatable vs requested; and the one-line-per-node list."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from tools.contracts.kube import objects
from tools.contracts.kube.pod_status import pod_is_healthy
from tools.contracts.kube.quantity import parse_quantity
from tools.contracts.kube.time import kubectl_age
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.render import BoundedText, counted, pod_line, short

_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def node_ready(node: dict[str, Any]) -> str:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return {"True": "Ready", "False": "NotReady"}.get(cond.get("status"), "Unknown")
    return "Unknown"


def node_problems(node: dict[str, Any]) -> list[str]:
    problems = []
    ready = node_ready(node)
    if ready != "Ready":
        problems.append(ready)
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") in _PRESSURE and cond.get("status") == "True":
            problems.append(cond["type"])
    if (node.get("spec") or {}).get("unschedulable"):
        problems.append("SchedulingDisabled")
    return problems


def roles(node: dict[str, Any]) -> str:
    labels = objects.meta(node).get("labels") or {}
    found = [k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")]
    return ",".join(sorted(r for r in found if r)) or "<none>"


def node_line(node: dict[str, Any], now: datetime) -> str:
    meta = objects.meta(node)
    status = ", ".join([node_ready(node), *node_problems(node)[1 if node_ready(node) != "Ready" else 0 :]])
    taints = len((node.get("spec") or {}).get("taints") or [])
    version = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "?")
    created = kubectl_age(meta.get("creationTimestamp"), now)
    return f"{meta.get('name')}  {status}  roles={roles(node)}  taints={taints}  age={created}  {version}"


def _sum_requests(pods: list[dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = {"requests": {}, "limits": {}}
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or []:
            resources = container.get("resources") or {}
            for which in ("requests", "limits"):
                for resource, value in (resources.get(which) or {}).items():
                    try:
                        amount = parse_quantity(value)
                    except ValueError:
                        continue
                    totals[which][resource] = totals[which].get(resource, Decimal(0)) + amount
    return totals


def _fmt(resource: str, value: Decimal) -> str:
    if resource == "cpu":
        return f"{int(value * 1000)}m"
    if resource in ("memory", "ephemeral-storage") or resource.startswith("hugepages"):
        return f"{value / (1024**2):.0f}Mi"
    return f"{value.normalize():f}"


def node_report(
    kube: KubeAccess, name: str, now: datetime, budget: int
) -> tuple[BoundedText, dict[str, Any]]:
    node = kube.get_object("Node", name)
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    out = BoundedText(budget)
    out.add(f"Node {node_line(node, now)}")
    for cond in status.get("conditions") or []:
        detail = (
            f" ({cond.get('reason', '')}: {short(cond.get('message'), 200)})" if cond.get("message") else ""
        )
        out.add(
            f"  {cond.get('type')}={cond.get('status')} "
            f"since {kubectl_age(cond.get('lastTransitionTime'), now)}"
            f"{detail if cond.get('status') != 'False' or cond.get('type') == 'Ready' else ''}"
        )
    taints = spec.get("taints") or []
    out.add(
        "  taints: "
        + (
            ", ".join(
                f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
                for t in taints
            )
            or "<none>"
        )
    )
    if spec.get("unschedulable"):
        out.add("  unschedulable: true (cordoned)")
    pods = [
        p
        for p in kube.iter_objects("pods", None, field_selector=f"spec.nodeName={name}")
        if (p.get("spec") or {}).get("nodeName") == name
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]
    allocatable = status.get("allocatable") or {}
    totals = _sum_requests(pods)
    usage: dict[str, Any] = {}
    for resource in ("cpu", "memory", "ephemeral-storage", "pods"):
        if resource not in allocatable:
            continue
        alloc = parse_quantity(allocatable[resource])
        requested = Decimal(len(pods)) if resource == "pods" else totals["requests"].get(resource, Decimal(0))
        limits = totals["limits"].get(resource)
        percent = f" ({requested / alloc * 100:.0f}%)" if alloc else ""
        limit_text = f", limits {_fmt(resource, limits)}" if limits is not None and resource != "pods" else ""
        out.add(
            f"  {resource}: allocatable {_fmt(resource, alloc)}, "
            f"requested {_fmt(resource, requested)}{percent}{limit_text}"
        )
        usage[resource] = {
            "allocatable": str(alloc),
            "requested": str(requested),
            "limits": str(limits) if limits is not None else None,
        }
    unhealthy = [p for p in pods if not pod_is_healthy(p)]
    out.add(f"  pods on node: {len(pods)} ({len(unhealthy)} not running/ready)")
    out.add_all(
        (f"    {pod_line(p, now, with_namespace=True)}" for p in unhealthy),
        "unhealthy pod",
        f"k8s_list kind=pods field_selector=spec.nodeName={name}",
    )
    data = {
        "name": name,
        "ready": node_ready(node),
        "problems": node_problems(node),
        "conditions": status.get("conditions"),
        "taints": taints,
        "unschedulable": bool(spec.get("unschedulable")),
        "resources": usage,
        "pods": len(pods),
        "unhealthy_pods": [
            f"{(p.get('metadata') or {}).get('namespace')}/{(p.get('metadata') or {}).get('name')}"
            for p in unhealthy[:100]
        ],
    }
    return out, data


def nodes_report(kube: KubeAccess, now: datetime, budget: int) -> tuple[BoundedText, dict[str, Any]]:
    """All nodes: counts by state, then one line each with the troubled ones first."""
    nodes = kube.list_objects("nodes")
    out = BoundedText(budget)
    states = Counter(", ".join(node_problems(n)) or "Ready" for n in nodes)
    out.add(f"Nodes ({len(nodes)}): {counted(states)}")
    ordered = sorted(nodes, key=lambda n: (not node_problems(n), objects.meta(n).get("name", "")))
    out.add_all((f"  {node_line(n, now)}" for n in ordered), "node", "k8s_node name=... shows one node")
    data = {
        "nodes": [
            {
                "name": objects.meta(n).get("name"),
                "ready": node_ready(n),
                "problems": node_problems(n),
            }
            for n in nodes[:500]
        ],
        "count": len(nodes),
    }
    return out, data
