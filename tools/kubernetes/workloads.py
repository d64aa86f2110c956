"""Workload status: a Deployment/StatefulSet/DaemonSet/Job/CronJob with its revisions and pods."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from tools.contracts.kube import objects
from tools.contracts.kube.selectors import selector_text
from tools.contracts.kube.time import kubectl_age
from tools.contracts.tool import ToolError
from tools.kubernetes.access import KubeAccess, KubeError
from tools.kubernetes.pods import add_pods, condition_text, pod_summary
from tools.kubernetes.render import BoundedText, short

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet")
CHANGE_CAUSE = "kubernetes.io/change-cause"
REVISION = "deployment.kubernetes.io/revision"


def find_workload(kube: KubeAccess, name: str, namespace: str, kind: str | None) -> dict[str, Any]:
    """The named workload; without a kind, the first of Deployment, StatefulSet, DaemonSet, Job, CronJob."""
    if kind:
        return kube.get_object(kind, name, namespace)
    for candidate in WORKLOAD_KINDS[:5]:
        obj = kube.find_object(candidate, name, namespace)
        if obj is not None:
            return obj
    raise ToolError(
        f"no Deployment, StatefulSet, DaemonSet, Job or CronJob named {name!r} in {namespace}; "
        "k8s_list kind=deployments namespace=... shows what exists"
    )


def status_lines(obj: dict[str, Any], now: datetime, images: bool = True) -> list[str]:
    """Replicas and conditions, the rollout state in a few lines (and each container's image, unless the
    caller shows the pod template itself)."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    meta = objects.meta(obj)
    created = kubectl_age(meta.get("creationTimestamp"), now)
    head = f"{kind} {meta.get('namespace')}/{meta.get('name')}  age={created}"
    lines = [head]
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        desired = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", status.get("currentReplicas", 0))
        unavailable = status.get("unavailableReplicas")
        lines.append(
            f"  replicas: {desired} desired, {updated} updated, {status.get('readyReplicas', 0)} ready, "
            f"{status.get('availableReplicas', 0)} available"
            + (f", {unavailable} unavailable" if unavailable else "")
        )
    elif kind == "DaemonSet":
        counts = [
            (status.get(field, 0), label)
            for field, label in (
                ("desiredNumberScheduled", "desired"),
                ("currentNumberScheduled", "scheduled"),
                ("numberReady", "ready"),
                ("updatedNumberScheduled", "updated"),
                ("numberAvailable", "available"),
                ("numberMisscheduled", "misscheduled"),
            )
        ]
        lines.append("  pods: " + ", ".join(f"{value} {label}" for value, label in counts))
    elif kind == "Job":
        lines.append(
            f"  completions: {status.get('succeeded', 0)}/{spec.get('completions', 1)} succeeded, "
            f"{status.get('active', 0)} active, {status.get('failed', 0)} failed "
            f"(backoffLimit {spec.get('backoffLimit', 6)})"
        )
    elif kind == "CronJob":
        lines.append(
            f"  schedule: {spec.get('schedule')}  suspend={spec.get('suspend', False)}  "
            f"last scheduled {kubectl_age(status.get('lastScheduleTime'), now)} ago, "
            f"last success {kubectl_age(status.get('lastSuccessfulTime'), now)} ago, "
            f"active jobs {len(status.get('active') or [])}"
        )
    if spec.get("selector"):
        lines.append(f"  selector: {selector_text(spec['selector']) or '<all>'}")
    strategy = spec.get("strategy") or spec.get("updateStrategy")
    if strategy and strategy.get("type") not in (None, "RollingUpdate"):  # the default says nothing
        lines.append(f"  strategy: {strategy.get('type')}")
    if status.get("observedGeneration") is not None and meta.get("generation") != status.get(
        "observedGeneration"
    ):
        lines.append(
            f"  generation {meta.get('generation')} not yet observed "
            f"(controller at {status.get('observedGeneration')})"
        )
    if status.get("conditions"):
        lines.append(f"  conditions: {condition_text(status['conditions'], now)}")
    template = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    for container in (template.get("spec") or {}).get("containers") or [] if images else []:
        lines.append(f"  container {container.get('name')}: image={container.get('image')}")
    return lines


def pods_of(kube: KubeAccess, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The workload's pods, selected by the server with the workload's own selector."""
    spec = obj.get("spec") or {}
    namespace = objects.meta(obj).get("namespace")
    if obj.get("kind") == "CronJob":
        jobs = owned(kube, obj, "Job")
        pods: list[dict[str, Any]] = []
        for job in jobs:
            pods += pods_of(kube, job)
        return pods
    selector = selector_text(spec.get("selector")) or None
    if selector is None:
        return []
    return kube.list_objects("pods", namespace, label_selector=selector)


def owned(kube: KubeAccess, owner: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Objects of `kind` in the owner's namespace whose ownerReferences point at it."""
    meta = objects.meta(owner)
    uid, name = meta.get("uid"), meta.get("name")
    result = []
    for obj in kube.iter_objects(kind, meta.get("namespace")):
        for ref in objects.meta(obj).get("ownerReferences") or []:
            if (uid and ref.get("uid") == uid) or (not uid and ref.get("name") == name):
                result.append(obj)
                break
    return result


def history_lines(
    kube: KubeAccess, obj: dict[str, Any], now: datetime
) -> tuple[list[str], list[dict[str, Any]]]:
    """Rollout history: ReplicaSets of a Deployment, ControllerRevisions of a StatefulSet/DaemonSet."""
    kind = obj.get("kind")
    if kind == "Deployment":
        revisions = []
        for rs in owned(kube, obj, "ReplicaSet"):
            rs_meta = objects.meta(rs)
            annotations = rs_meta.get("annotations") or {}
            containers = (((rs.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
                "containers"
            ) or []
            revisions.append(
                {
                    "revision": int(annotations.get(REVISION, 0) or 0),
                    "name": rs_meta.get("name"),
                    "images": [c.get("image") for c in containers],
                    "change_cause": annotations.get(CHANGE_CAUSE),
                    "replicas": (rs.get("spec") or {}).get("replicas", 0),
                    "ready": (rs.get("status") or {}).get("readyReplicas", 0),
                    "created": rs_meta.get("creationTimestamp"),
                }
            )
        revisions.sort(key=lambda r: r["revision"], reverse=True)
        lines = [f"Rollout history ({len(revisions)} ReplicaSets, newest first):"]
        for r in revisions:
            cause = f"  change-cause: {short(r['change_cause'], 120)}" if r["change_cause"] else ""
            lines.append(
                f"  rev {r['revision']}  {r['name']}  {r['ready']}/{r['replicas']} ready  "
                f"created {kubectl_age(r['created'], now)} ago  "
                f"images={','.join(str(i) for i in r['images'])}{cause}"
            )
        return lines, revisions
    if kind in ("StatefulSet", "DaemonSet"):
        revisions = []
        for rev in owned(kube, obj, "ControllerRevision"):
            data = rev.get("data") or {}
            if isinstance(data, str):
                try:
                    data = json.loads(data)
                except ValueError:
                    data = {}
            containers = (((data.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
                "containers"
            ) or []
            revisions.append(
                {
                    "revision": int(rev.get("revision") or 0),
                    "name": objects.meta(rev).get("name"),
                    "images": [c.get("image") for c in containers],
                    "created": objects.meta(rev).get("creationTimestamp"),
                }
            )
        revisions.sort(key=lambda r: r["revision"], reverse=True)
        status = obj.get("status") or {}
        lines = [f"Rollout history ({len(revisions)} revisions, newest first):"]
        if kind == "StatefulSet":
            lines[0] += f" current={status.get('currentRevision')} update={status.get('updateRevision')}"
        for r in revisions:
            images = ",".join(str(i) for i in r["images"]) or "?"
            lines.append(
                f"  rev {r['revision']}  {r['name']}  created {kubectl_age(r['created'], now)} ago  "
                f"images={images}"
            )
        return lines, revisions
    if kind == "CronJob":
        jobs = sorted(owned(kube, obj, "Job"), key=lambda j: objects.meta(j).get("creationTimestamp") or "")
        lines = [f"Jobs ({len(jobs)}, newest first):"]
        for job in reversed(jobs):
            st = job.get("status") or {}
            outcome = "succeeded" if st.get("succeeded") else ("failed" if st.get("failed") else "running")
            lines.append(
                f"  {(job.get('metadata') or {}).get('name')}  {outcome}  "
                f"started {kubectl_age(st.get('startTime'), now)} ago"
            )
        return lines, [{"name": objects.meta(j).get("name"), "status": j.get("status")} for j in jobs]
    return [], []


def workload_report(
    kube: KubeAccess, obj: dict[str, Any], now: datetime, budget: int
) -> tuple[BoundedText, dict[str, Any]]:
    out = BoundedText(budget)
    for line in status_lines(obj, now):
        out.add(line)
    history, revisions = history_lines(kube, obj, now)
    pods = pods_of(kube, obj)
    for line in history[:12]:
        out.add(line)
    if len(history) > 12:
        out.omit(len(history) - 12, "older revision", "k8s_list kind=replicasets shows all")
    meta = objects.meta(obj)
    hint = f"narrow with k8s_list kind=pods namespace={meta.get('namespace')} label_selector=..."
    add_pods(out, pods, now, hint)
    data = {
        "kind": obj.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "spec_replicas": (obj.get("spec") or {}).get("replicas"),
        "status": obj.get("status"),
        "revisions": revisions,
        "pod_counts": dict(Counter(pod_summary(p)["status"] for p in pods)),
        "pods": [pod_summary(p) for p in pods[:200]],
    }
    return out, data


def not_at_desired(obj: dict[str, Any]) -> str | None:
    """'1/3 ready' when a workload has fewer ready replicas than it wants, else None."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        desired = spec.get("replicas", 1)
        ready = status.get("readyReplicas", 0) or 0
        available = status.get("availableReplicas", ready) or 0
        if desired and (ready < desired or available < desired):
            return f"{ready}/{desired} ready"
    elif kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled", 0) or 0
        ready = status.get("numberReady", 0) or 0
        if ready < desired:
            return f"{ready}/{desired} ready"
    return None


__all__ = ["KubeError", "find_workload", "not_at_desired", "pods_of", "status_lines", "workload_report"]
