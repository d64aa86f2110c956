"""List and get any kind: one line per object with the columns that matter for its kind.

Lists stream page by page and keep only bounded rows: counts by state for everything, full lines for
the first few hundred objects (troubled ones first), so a 100,000-object list costs flat memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from tools.contracts.kube import objects
from tools.contracts.kube.kinds import KindInfo
from tools.contracts.kube.pod_status import pod_is_healthy, pod_ready, pod_restarts, pod_status
from tools.contracts.kube.selectors import selector_text
from tools.contracts.kube.time import kubectl_age
from tools.kubernetes.access import KubeAccess, paused_gc
from tools.kubernetes.events import event_line
from tools.kubernetes.nodes import node_problems, node_ready, roles
from tools.kubernetes.pods import FOLD_QUIET_AT, is_quiet, quiet_line, workload_name
from tools.kubernetes.redact import redact_data
from tools.kubernetes.render import (
    BoundedText,
    counted,
)
from tools.kubernetes.workloads import not_at_desired

KEEP_ROWS = 400  # per group (troubled / fine): far more than any budget shows


@dataclass
class Row:
    namespace: str | None
    name: str
    state: str
    healthy: bool
    line: str
    extra: dict[str, Any] = field(default_factory=dict)
    quiet_in: str | None = None  # a quiet pod (pods.is_quiet): the workload it is counted under


def row_for(obj: dict[str, Any], now: datetime, with_namespace: bool) -> Row:
    """One line for an object, plus the state it is counted under."""
    meta = objects.meta(obj)
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    name = str(meta.get("name"))
    shown = f"{meta.get('namespace')}/{name}" if with_namespace and meta.get("namespace") else name
    created = kubectl_age(meta.get("creationTimestamp"), now)
    if kind == "Pod":
        state = pod_status(obj)
        healthy = pod_is_healthy(obj, state)
        node = spec.get("nodeName") or "<unscheduled>"
        line = f"{shown}  {pod_ready(obj)}  {state}  restarts={pod_restarts(obj)}  age={created}  node={node}"
        quiet_in = workload_name(obj) if is_quiet(obj, state) else None
        if quiet_in and with_namespace:
            quiet_in = f"{meta.get('namespace')}/{quiet_in}"
        extra = {"ready": pod_ready(obj), "node": node}
        return Row(meta.get("namespace"), name, state, healthy, line, extra, quiet_in)
    if kind in ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"):
        gap = not_at_desired(obj)
        if kind == "DaemonSet":
            counts = f"desired={status.get('desiredNumberScheduled', 0)} ready={status.get('numberReady', 0)}"
        else:
            counts = (
                f"ready={status.get('readyReplicas', 0)}/{spec.get('replicas', 1)} "
                f"updated={status.get('updatedReplicas', 0)} available={status.get('availableReplicas', 0)}"
            )
        state = "not at desired replicas" if gap else "ok"
        return Row(meta.get("namespace"), name, state, not gap, f"{shown}  {counts}  age={created}")
    if kind == "Job":
        done = "Complete" if status.get("succeeded") and not status.get("active") else None
        failed = any(
            c.get("type") == "Failed" and c.get("status") == "True" for c in status.get("conditions") or []
        )
        state = "Failed" if failed else done or ("Running" if status.get("active") else "Pending")
        line = (
            f"{shown}  {state}  succeeded={status.get('succeeded', 0)}/{spec.get('completions', 1)} "
            f"failed={status.get('failed', 0)}  age={created}"
        )
        return Row(meta.get("namespace"), name, state, not failed, line)
    if kind == "Node":
        problems = node_problems(obj)
        state = ", ".join(problems) or "Ready"
        line = f"{shown}  {', '.join([node_ready(obj), *problems[problems[:1] == [node_ready(obj)] :]])}"
        line += f"  roles={roles(obj)}  age={created}"
        return Row(None, name, state, not problems, line)
    if kind == "Service":
        ports = ",".join(
            f"{p.get('port')}->{p.get('targetPort', p.get('port'))}/{p.get('protocol', 'TCP')}"
            for p in spec.get("ports") or []
        )
        selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
        kind_ip = f"{spec.get('type', 'ClusterIP')}  {spec.get('clusterIP', '')}"
        line = f"{shown}  {kind_ip}  ports={ports}  selector={selector}"
        return Row(meta.get("namespace"), name, spec.get("type", "ClusterIP"), True, line)
    if kind == "Event":
        state = f"{obj.get('type', 'Normal')} {obj.get('reason', '?')}"
        return Row(meta.get("namespace"), name, state, obj.get("type") != "Warning", event_line(obj, now))
    if kind == "PersistentVolumeClaim":
        phase = status.get("phase", "?")
        capacity = (status.get("capacity") or {}).get("storage", "")
        volume = f"volume={spec.get('volumeName', '')}  {capacity}  class={spec.get('storageClassName', '')}"
        line = f"{shown}  {phase}  {volume}  age={created}"
        return Row(meta.get("namespace"), name, phase, phase == "Bound", line)
    if kind == "NetworkPolicy":
        pods = selector_text(spec.get("podSelector")) or "<all pods>"
        line = f"{shown}  podSelector={pods}  types={','.join(spec.get('policyTypes') or [])}"
        return Row(meta.get("namespace"), name, "NetworkPolicy", True, line)
    phase = status.get("phase") if isinstance(status, dict) else None
    state = str(phase or kind)
    healthy = phase not in ("Failed", "Pending", "Lost", "Terminating")
    return Row(
        meta.get("namespace"), name, state, healthy, f"{shown}  {phase + '  ' if phase else ''}age={created}"
    )


@dataclass
class ListResult:
    total: int = 0
    states: Counter[str] = field(default_factory=Counter)
    troubled: list[Row] = field(default_factory=list)
    fine: list[Row] = field(default_factory=list)  # healthy, quiet pods aside
    quiet_rows: list[Row] = field(default_factory=list)
    quiet: Counter[str] = field(default_factory=Counter)  # quiet pods by workload, all of them
    stopped_at_limit: bool = False


def collect(
    kube: KubeAccess,
    info: KindInfo,
    namespace: str | None,
    label_selector: str | None,
    field_selector: str | None,
    limit: int | None,
    now: datetime,
) -> ListResult:
    result = ListResult()
    with_namespace = info.namespaced and not namespace
    with paused_gc():
        for page in kube.iter_pages(info.describe(), namespace, label_selector, field_selector):
            for obj in page:
                row = row_for(obj, now, with_namespace)
                result.total += 1
                result.states[row.state] += 1
                if row.quiet_in is not None:
                    result.quiet[row.quiet_in] += 1
                bucket = result.troubled if not row.healthy else result.fine
                bucket = result.quiet_rows if row.quiet_in is not None else bucket
                if len(bucket) < KEEP_ROWS:
                    bucket.append(row)
                if limit and result.total >= limit:
                    result.stopped_at_limit = True
                    return result
    return result


def list_report(
    kube: KubeAccess,
    kind: str,
    namespace: str | None,
    label_selector: str | None,
    field_selector: str | None,
    limit: int | None,
    now: datetime,
    budget: int,
) -> tuple[BoundedText, dict[str, Any]]:
    info = kube.resolve_kind(kind)
    scope = namespace if info.namespaced else None
    result = collect(kube, info, scope, label_selector, field_selector, limit, now)
    where = f" in {scope}" if scope else (" in all namespaces" if info.namespaced else "")
    filters = " ".join(
        f
        for f in (
            label_selector and f"labels {label_selector}",
            field_selector and f"fields {field_selector}",
        )
        if f
    )
    out = BoundedText(budget)
    head = f"{info.plural}{where}{' matching ' + filters if filters else ''}: {result.total}"
    if result.total:
        head += f" ({counted(result.states)})"
    if result.stopped_at_limit:
        head += f" - stopped after limit={limit}; more may exist"
    out.add(head)
    hints = [
        h
        for h, used in (
            ("namespace=", scope),
            ("label_selector=", label_selector),
            ("field_selector=", field_selector),
        )
        if not used
    ]
    hint = "narrow with " + ", ".join(hints) if hints else "use a stricter selector"
    if info.kind == "Pod":
        hint += " (e.g. field_selector=status.phase!=Running), or k8s_describe one pod"
    if result.troubled:
        hint = f"troubled ones come first; {hint}"
    # An unfiltered pod list counts the quiet pods by workload; a selector asks for them by name.
    folded = sum(result.quiet.values()) if not (label_selector or field_selector) else 0
    folded = folded if folded >= FOLD_QUIET_AT else 0
    rows = result.troubled + result.fine + result.quiet_rows  # a restart is a clue: before the quiet
    listed = result.troubled + result.fine if folded else rows
    shown = out.add_all(
        (f"  {row.line}" for row in listed), info.kind, hint, total=result.total - folded, many=info.plural
    )
    if folded:
        out.note(quiet_line(result.quiet, "label_selector= lists them"))
    data = {
        "kind": info.kind,
        "namespace": scope,
        "total": result.total,
        "by_state": dict(result.states),
        "items": [
            {"namespace": r.namespace, "name": r.name, "state": r.state, "healthy": r.healthy, **r.extra}
            for r in rows[: max(shown, 50)]  # the quiet pods too: only the text counts them
        ],
    }
    return out, data


def clean_object(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without the bookkeeping nobody reads (managedFields, last-applied copy)."""
    meta = dict(objects.meta(obj))
    meta.pop("managedFields", None)
    annotations = dict(meta.get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**obj, "metadata": meta}


def get_report(
    kube: KubeAccess, kind: str, name: str, namespace: str | None, budget: int
) -> tuple[BoundedText, dict[str, Any]]:
    obj = redact_data(clean_object(kube.get_object(kind, name, namespace)))
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=200)
    out = BoundedText(budget)
    out.add_all(text.splitlines(), "YAML line", "k8s_describe gives a compact summary of the same object")
    return out, obj
