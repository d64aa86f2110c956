"""`kubectl describe`, for a model: the object, its owner chain, its pods and their containers, events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml

from tools.contracts.kube import hpa, objects
from tools.contracts.kube.pod_status import pod_is_healthy, pod_status
from tools.contracts.kube.time import kubectl_age
from tools.contracts.printed import indented, joined, keys_of, printed
from tools.kubernetes.access import KubeAccess, KubeError
from tools.kubernetes.describe_kinds import (
    Section,
    annotation_lines,
    endpoints_section,
    endpointslice_section,
    header,
    identity,
    netpol_section,
    pod_labels_line,
    replicaset_section,
    template_section,
)
from tools.kubernetes.events import add_events, event_dict, newest_first, related_events
from tools.kubernetes.pods import (
    add_pods,
    condition_text,
    container_lines,
    placement_text,
    pod_summary,
    volume_lines,
)
from tools.kubernetes.redact import redact_data
from tools.kubernetes.render import BoundedText, changed_line, created_line, ref
from tools.kubernetes.workloads import REVISION, WORKLOAD_KINDS, pods_of, status_lines

MAX_OWNER_DEPTH = 6


def owner_chain(kube: KubeAccess, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Controllers above an object, nearest first (Pod -> ReplicaSet -> Deployment)."""
    chain: list[dict[str, Any]] = []
    current = obj
    for _ in range(MAX_OWNER_DEPTH):
        meta = objects.meta(current)
        refs = meta.get("ownerReferences") or []
        owner_ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
        if owner_ref is None:
            break
        group = (
            owner_ref.get("apiVersion", "").split("/")[0] if "/" in owner_ref.get("apiVersion", "") else ""
        )
        kind = f"{owner_ref.get('kind')}.{group}" if group else str(owner_ref.get("kind"))
        try:
            owner = kube.find_object(kind, owner_ref.get("name", ""), meta.get("namespace"))
        except KubeError:
            owner = None
        if owner is None:
            chain.append(
                {"kind": owner_ref.get("kind"), "metadata": {"name": owner_ref.get("name"), "missing": True}}
            )
            break
        chain.append(owner)
        current = owner
    return chain


def chain_text(chain: list[dict[str, Any]]) -> str:
    parts = []
    for owner in chain:
        meta = objects.meta(owner)
        missing = " (not found)" if meta.get("missing") else ""
        parts.append(f"{owner.get('kind')}/{meta.get('name')}{missing}")
    return " <- ".join(parts) or "<none>"


def describe(
    kube: KubeAccess, kind: str, name: str, namespace: str | None, now: datetime, budget: int
) -> tuple[BoundedText, dict[str, Any]]:
    obj = kube.get_object(kind, name, namespace)
    if obj.get("kind") == "HorizontalPodAutoscaler":
        obj = hpa.as_v2(obj)  # autoscaling/v1 keeps its conditions in annotations: show them as v2 does
    info = kube.resolve_kind(kind)
    namespace = objects.meta(obj).get("namespace") if info.namespaced else None
    chain = owner_chain(kube, obj)
    out = BoundedText(budget)
    meta = objects.meta(obj)
    data: dict[str, Any] = {"object": ref(obj), "owners": [ref(o) for o in chain]}
    key: list[str] = []  # the lines that prove the object's state: what a citation of it quotes
    pods: list[dict[str, Any]] = []
    if obj.get("kind") == "Pod":
        key += _describe_pod(out, obj, chain, now)
        pods = [obj]
        data["pod"] = pod_summary(obj)
    elif obj.get("kind") in WORKLOAD_KINDS:
        key += _describe_workload(kube, out, obj, chain, now)
        pods = pods_of(kube, obj)
        hint = f"k8s_workload name={name} namespace={namespace} shows pods by revision"
        add_pods(out, pods, now, hint, share=0.5, fold_quiet="k8s_workload lists them")
        troubled = [p for p in pods if not pod_is_healthy(p)]
        if troubled:
            first = troubled[0]
            out.add(f"First troubled pod {(first.get('metadata') or {}).get('name')}:")
            state_lines = [
                _without_template_image(line, obj)
                for line in container_lines(first, now)
                if "state:" in line or "image=" in line
            ]
            out.add_all(
                (indented("  ", line) for line in state_lines), "container line", "k8s_describe the pod", 0.3
            )
        data["pods"] = [pod_summary(p) for p in pods[:200]]
    elif obj.get("kind") in KIND_SECTIONS:
        section = identity(obj, now, chain_text(chain) if chain else None)
        section.extend(KIND_SECTIONS[str(obj.get("kind"))](kube, obj))
        out.add_all(section.lines, "line", f"k8s_get kind={obj.get('kind')} shows the whole object")
        key += section.key
    else:
        key += _describe_generic(out, obj, chain, now)
    involved = {(obj.get("kind"), meta.get("name"))}
    involved |= {(o.get("kind"), objects.meta(o).get("name")) for o in chain}
    involved |= {("Pod", objects.meta(p).get("name")) for p in pods}
    # events about cluster-scoped objects (nodes) live in "default" or elsewhere: search all namespaces
    events = related_events(kube, namespace if info.namespaced else None, involved)
    add_events(
        out, events, now, "k8s_events with name=... or reason=... narrows", with_object=len(involved) > 1
    )
    data["events"] = [event_dict(e, now) for e in newest_first(events)[:50]]
    shown = set(out.lines)
    data["key_lines"] = [line for line in dict.fromkeys(key) if line in shown]
    return out, data


def _without_template_image(line: str, workload: dict[str, Any]) -> str:
    """A pod's container line without its image when the template above already shows that image."""
    spec = workload.get("spec") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    for container in (template.get("spec") or {}).get("containers") or []:
        same = f"  {container.get('name')}  image={container.get('image')}"
        if line == same or line.startswith(same + "  "):
            return printed(f"  {container.get('name')}{line[len(same) :]}", *keys_of(line))
    return line


# Kinds with their own section after the identity lines (creation time, change annotations, owners).
KIND_SECTIONS: dict[str, Callable[[KubeAccess, dict[str, Any]], Section]] = {
    "NetworkPolicy": netpol_section,
    "EndpointSlice": lambda _kube, obj: endpointslice_section(obj),
    "Endpoints": lambda _kube, obj: endpoints_section(obj),
}


# The status lines that prove a workload's state (beside its header): counts, selector and conditions.
_PROVING_STATUS = ("  replicas:", "  pods:", "  completions:", "  schedule:", "  selector:", "  conditions:")


def _describe_workload(
    kube: KubeAccess, out: BoundedText, obj: dict[str, Any], chain: list[dict[str, Any]], now: datetime
) -> list[str]:
    """Status, creation and change annotations, owners, ReplicaSets, then the pod template."""
    head = Section()
    created = created_line(obj, now)
    head.add(header(obj, now, created), key=True)
    for line in status_lines(obj, now, images=False)[1:]:  # below their own header, which has the age
        head.add(line, key=line.startswith(_PROVING_STATUS))
    for line in (created, changed_line(obj, now)):
        if line:
            head.add(line, key=True)
    sets = replicaset_section(kube, obj, now) if obj.get("kind") == "Deployment" else Section()
    # a Deployment's revision is its new ReplicaSet's "rev N": the annotation would say it twice
    head.extend(annotation_lines(obj, (REVISION,) if sets.lines else ()))
    if chain:  # a workload nothing controls is the usual case: no line for it
        head.add(f"  controlled by: {chain_text(chain)}", key=True)
    head.extend(sets)
    for line in head.lines:
        out.add(line)
    template = template_section(obj, now)
    out.add_all(template.lines, "pod template line", "k8s_get shows the whole template", share=0.45)
    return head.key + template.key


def _describe_pod(
    out: BoundedText, pod: dict[str, Any], chain: list[dict[str, Any]], now: datetime
) -> list[str]:
    meta = objects.meta(pod)
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    key = [f"Pod {meta.get('namespace')}/{meta.get('name')}"]
    key.append(
        f"  status: {pod_status(pod)}  phase: {status.get('phase')}"
        f"  node: {spec.get('nodeName') or '<unscheduled>'}"
        f"  ip: {status.get('podIP') or '<none>'}  age: {kubectl_age(meta.get('creationTimestamp'), now)}"
    )
    for line in key:
        out.add(line)
    if status.get("reason") or status.get("message"):
        out.add(f"  reason: {status.get('reason', '')} {status.get('message', '')}".rstrip())
    out.add(pod_labels_line(meta.get("labels")))
    key.append(f"  controlled by: {chain_text(chain)}")
    out.add(key[-1])
    out.add(f"  conditions: {condition_text(status.get('conditions'), now)}")
    placement = placement_text(spec)
    if placement:
        out.add(indented("  ", placement))
    for line in container_lines(pod, now):
        if not out.add(indented("  ", line)):
            out.omit(1, "container detail line", "k8s_get kind=pod shows the full object")
            break
        if line.lstrip().startswith(("state:", "last state:")):
            key.append(f"  {line}")  # what each container is doing now and how it last ended
    volumes = volume_lines(pod)
    if volumes:
        out.add(joined(", ", volumes, prefix="  volumes: "))
    return key


def _describe_generic(
    out: BoundedText, obj: dict[str, Any], chain: list[dict[str, Any]], now: datetime
) -> list[str]:
    """Identity lines, then the spec and status as YAML (Secret values redacted, long ConfigMap values
    counted)."""
    head = identity(obj, now, chain_text(chain) if chain else None)
    for line in head.lines:
        out.add(line)
    # redact the whole object first: its Secret rule needs `kind`, which the shown body leaves out
    shown = redact_data(obj)
    body = {k: v for k, v in shown.items() if k not in ("metadata", "apiVersion", "kind")}
    if obj.get("kind") == "ConfigMap":
        body = {
            "data": {
                k: (v if len(str(v)) <= 200 else f"<{len(str(v))} chars>")
                for k, v in (obj.get("data") or {}).items()
            }
        }
    text = yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=200) if body else ""
    lines = text.splitlines()
    out.add_all((f"  {line}" for line in lines), "spec/status line", "k8s_get shows the whole object", 0.7)
    return head.key
