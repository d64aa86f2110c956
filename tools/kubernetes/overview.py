"""Cluster overview: namespaces, nodes, workloads short of replicas, pods not running, warning events.

Everything is streamed page by page and aggregated into counts and a few examples, so memory stays
flat however big the cluster is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from tools.contracts.kube import objects
from tools.contracts.kube.pod_status import pod_is_healthy, pod_status
from tools.contracts.kube.time import kubectl_age
from tools.kubernetes.access import KubeAccess, KubeError, paused_gc
from tools.kubernetes.events import event_message, event_time, involved
from tools.kubernetes.nodes import node_problems
from tools.kubernetes.render import BoundedText, counted
from tools.kubernetes.workloads import not_at_desired

EXAMPLES = 5
MAX_LISTED = 200
OVERVIEW_PAGE = 1000


def overview_report(
    kube: KubeAccess, namespace: str | None, now: datetime, budget: int, cluster: str, progress: Any = None
) -> tuple[BoundedText, dict[str, Any]]:
    out = BoundedText(budget)
    permitted = kube.namespaces
    if namespace:
        kube.check_namespace(namespace)
        scope = f"namespace {namespace}"
    elif permitted:
        scope = f"cluster {cluster}, namespaces {', '.join(permitted)} (the ones kubewhy may read)"
    else:
        scope = f"cluster {cluster}"
    out.add(f"Overview of {scope} at {now.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    data: dict[str, Any] = {"scope": namespace or "cluster"}

    # namespaces and nodes
    if namespace is None and permitted:
        data["namespaces"] = list(permitted)
        data["namespace_count"] = len(permitted)
        _limited_nodes(kube, out, data)
    elif namespace is None:
        names = [
            objects.meta(n).get("name") for n in kube.iter_objects("namespaces", page_size=OVERVIEW_PAGE)
        ]
        listed = ", ".join(str(n) for n in names[:30]) + (
            f", +{len(names) - 30} more" if len(names) > 30 else ""
        )
        out.add(f"Namespaces ({len(names)}): {listed}")
        data["namespaces"] = names[:MAX_LISTED]
        data["namespace_count"] = len(names)
        node_states: Counter[str] = Counter()
        troubled_nodes: list[str] = []
        for node in kube.iter_objects("nodes", page_size=OVERVIEW_PAGE):
            problems = node_problems(node)
            node_states[", ".join(problems) or "Ready"] += 1
            if problems:
                troubled_nodes.append(f"{(node.get('metadata') or {}).get('name')} ({', '.join(problems)})")
        total_nodes = sum(node_states.values())
        out.add(f"Nodes ({total_nodes}): {counted(node_states) or 'none'}")
        if troubled_nodes:
            out.add_all((f"  {t}" for t in troubled_nodes), "troubled node", "k8s_node shows each node", 0.2)
        data["nodes"] = {
            "count": total_nodes,
            "states": dict(node_states),
            "troubled": troubled_nodes[:MAX_LISTED],
        }

    # workloads short of their desired replicas (in each permitted namespace when KUBEWHY_NAMESPACES is set)
    if progress:
        progress("overview: workloads")
    short_of: list[str] = []
    workload_total = 0
    for kind in ("deployments", "statefulsets", "daemonsets"):
        try:
            for obj in kube.iter_objects(kind, namespace, page_size=OVERVIEW_PAGE):
                workload_total += 1
                gap = not_at_desired(obj)
                if gap:
                    meta = objects.meta(obj)
                    short_of.append(f"{obj.get('kind')} {meta.get('namespace')}/{meta.get('name')} {gap}")
        except KubeError as exc:
            if exc.status != 404:
                raise
    out.add(f"Workloads not at desired replicas: {len(short_of)} of {workload_total}")
    out.add_all(
        (f"  {w}" for w in short_of), "workload", "k8s_workload name=... namespace=... shows one", 0.3
    )
    data["workloads"] = {"total": workload_total, "not_at_desired": short_of[:MAX_LISTED]}

    # pods, grouped by status
    if progress:
        progress("overview: pods")
    states: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    by_namespace: Counter[str] = Counter()
    with paused_gc():
        for page in kube.iter_pages("pods", namespace, page_size=OVERVIEW_PAGE):
            for pod in page:
                status = pod_status(pod)
                healthy = pod_is_healthy(pod, status)
                key = "Running (not ready)" if status == "Running" and not healthy else status
                states[key] += 1
                if not healthy:
                    meta = objects.meta(pod)
                    by_namespace[str(meta.get("namespace"))] += 1
                    if len(examples[key]) < EXAMPLES:
                        examples[key].append(f"{meta.get('namespace')}/{meta.get('name')}")
    total_pods = sum(states.values())
    troubled = sum(by_namespace.values())
    out.add(f"Pods ({total_pods}): {counted(+states) or 'none'}")
    if troubled:
        out.add(
            f"Pods not running/ready: {troubled}, by namespace: {counted(dict(by_namespace.most_common(10)))}"
        )
        lines = [
            f"  {reason} ({states[reason]}): {', '.join(names)}"
            + (" ..." if states[reason] > len(names) else "")
            for reason, names in sorted(examples.items(), key=lambda kv: -states[kv[0]])
        ]
        out.add_all(lines, "reason", "k8s_list kind=pods namespace=... shows each pod", 0.5)
    data["pods"] = {
        "total": total_pods,
        "by_status": dict(+states),
        "not_running": troubled,
        "not_running_by_namespace": dict(by_namespace),
        "examples": dict(examples),
    }

    # warning events by reason
    if progress:
        progress("overview: events")
    reasons: Counter[str] = Counter()
    latest: dict[str, tuple[datetime | None, str]] = {}
    for event in kube.iter_objects(
        "events", namespace, field_selector="type=Warning", page_size=OVERVIEW_PAGE
    ):
        if str(event.get("type")) != "Warning":
            continue
        reason = str(event.get("reason") or "?")
        reasons[reason] += 1
        when = event_time(event)
        previous = latest.get(reason)
        if previous is None or (when and (previous[0] is None or when > previous[0])):
            obj = involved(event)
            where = f"{obj.get('namespace')}/" if obj.get("namespace") else ""
            latest[reason] = (when, f"{obj.get('kind')}/{where}{obj.get('name')}: {event_message(event)}")
    out.add(f"Warning events ({sum(reasons.values())}) by reason: {counted(reasons) or 'none'}")
    lines = [
        f"  {reason} latest "
        f"{kubectl_age(latest[reason][0].isoformat() if latest[reason][0] else None, now)} ago: "
        f"{latest[reason][1]}"
        for reason, _ in reasons.most_common()
    ]
    out.add_all(lines, "reason", "k8s_events type=Warning reason=... shows them")
    data["warning_events"] = {"by_reason": dict(reasons), "latest": {r: v[1] for r, v in latest.items()}}
    return out, data


def _limited_nodes(kube: KubeAccess, out: BoundedText, data: dict[str, Any]) -> None:
    """Nodes are cluster-scoped: with KUBEWHY_NAMESPACES a Role cannot grant them, so try once and say so."""
    try:
        nodes = [node_problems(node) for node in kube.iter_objects("nodes", page_size=OVERVIEW_PAGE)]
    except KubeError as exc:
        if exc.status not in (401, 403):
            raise
        out.add("Nodes: not readable (kubewhy may read only its permitted namespaces)")
        data["nodes"] = {"error": str(exc)}
        return
    states = Counter(", ".join(problems) or "Ready" for problems in nodes)
    out.add(f"Nodes ({len(nodes)}): {counted(states) or 'none'}")
    data["nodes"] = {"count": len(nodes), "states": dict(states)}
