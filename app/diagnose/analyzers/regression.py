"""PerformanceRegression: a Service's latency or error rate stepped up, and what changed at that moment.

Evidence: a level shift (change point) in ``http_latency_p95`` or ``http_error_ratio`` of a Service that
is still elevated now; at the step, a new ReplicaSet of the workload behind the Service (creationTimestamp),
the image tag difference between the new and the previous ReplicaSet, a ConfigMap the pods use updated
(managedFields time), a restart annotation, or a ScalingReplicaSet event. A step that has recovered is
history. Without any change at that time the finding stays low-confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.dependencies import failed_calls, failing_calls
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import controller_of, workload_of
from app.diagnose.measure import Moment, traffic_steps
from app.diagnose.series import Step, change_point, label, window
from app.diagnose.service_facts import selected_pods
from app.diagnose.workload_facts import cite_event, cite_log, cite_metric, cite_object, kubectl
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import meta, name_of
from tools.contracts.kube.time import parse_time

BEFORE_STEP = timedelta(minutes=15)  # a change this long before the step can explain it
AFTER_STEP = timedelta(minutes=5)  # metrics lag (rate windows): a change shortly after still counts


@dataclass
class Jump:
    metric: str
    step: Step
    now: float

    def text(self) -> str:
        if self.metric == "http_latency_p95":
            return f"p95 latency rose from {self.step.before:.2f}s to {self.now:.2f}s"
        return f"5xx ratio rose from {self.step.before:.1%} to {self.now:.1%}"


@dataclass
class Change:
    text: str
    cites: list[Cite] = field(default_factory=list)
    weight: float = 0.0


def _significant(metric: str, step: Step, current: float) -> bool:
    before, after = step.before, step.after
    if metric == "http_latency_p95":
        jumped = after > 1.5 * before and after - before > 0.1
    else:
        jumped = after - before > 0.03 and after > 2 * before
    still = current > before + 0.5 * (after - before)
    return jumped and still


def _jumps(facts: Facts) -> dict[tuple[str, str], list[Jump]]:
    found: dict[tuple[str, str], list[Jump]] = {}
    for metric in ("http_latency_p95", "http_error_ratio"):
        for series in facts.metrics.get(metric, []):
            step = change_point(series)
            recent = window(series, facts.now, 10)
            if step is None or not recent:
                continue
            current = sum(recent) / len(recent)
            if _significant(metric, step, current):
                key = (label(series, "namespace"), label(series, "service"))
                found.setdefault(key, []).append(Jump(metric, step, current))
    return found


def _images(obj: dict[str, Any]) -> dict[str, str]:
    template = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {c.get("name", ""): c.get("image", "") for c in template.get("containers") or []}


def _revision(rs: dict[str, Any]) -> int:
    annotations = meta(rs).get("annotations") or {}
    try:
        return int(annotations.get("deployment.kubernetes.io/revision", "0"))
    except ValueError:
        return 0


def _near(moment: datetime | None, at: datetime) -> bool:
    return moment is not None and at - BEFORE_STEP <= moment <= at + AFTER_STEP


def _rollout_change(facts: Facts, workload: ResourceRef, at: datetime) -> Change | None:
    owned = [
        rs
        for rs in facts.of_kind("ReplicaSet", workload.namespace)
        if (controller_of(rs) or {}).get("name") == workload.name
        and (controller_of(rs) or {}).get("kind") == workload.kind
    ]
    new = [rs for rs in owned if _near(parse_time(meta(rs).get("creationTimestamp")), at)]
    if not new:
        return None
    newest = max(new, key=_revision)
    older = [rs for rs in owned if _revision(rs) < _revision(newest)]
    previous = max(older, key=_revision) if older else None
    created = meta(newest).get("creationTimestamp", "?")
    cites = [cite_object(newest, name_of(newest), "ReplicaSet")]
    diffs = []
    if previous is not None:
        old_images, new_images = _images(previous), _images(newest)
        diffs = [
            f"{name}: {old_images[name]} -> {image}"
            for name, image in new_images.items()
            if name in old_images and old_images[name] != image
        ]
        cites.append(cite_object(previous, name_of(previous), "ReplicaSet"))
    for event in facts.events_for(workload.kind, workload.namespace, workload.name):
        if event.get("reason") == "ScalingReplicaSet" and name_of(newest) in (event.get("message") or ""):
            cites.append(cite_event(event))
            break
    if diffs:
        text = (
            f"a new version was rolled out at {created} "
            f"(ReplicaSet {name_of(newest)}, image {'; '.join(diffs)})"
        )
        return Change(text, cites, 0.85)
    text = f"a new ReplicaSet {name_of(newest)} was created at {created} (pod template changed, same image)"
    return Change(text, cites, 0.7)


def _config_change(
    facts: Facts, workload: ResourceRef, pods: list[dict[str, Any]], at: datetime
) -> Change | None:
    used: set[str] = set()
    for pod in pods[:1]:
        spec = pod.get("spec") or {}
        for volume in spec.get("volumes") or []:
            if volume.get("configMap"):
                used.add(volume["configMap"].get("name", ""))
        for container in spec.get("containers") or []:
            for source in container.get("envFrom") or []:
                if source.get("configMapRef"):
                    used.add(source["configMapRef"].get("name", ""))
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
                if ref:
                    used.add(ref.get("name", ""))
    for name in sorted(used):
        config = facts.find("ConfigMap", workload.namespace, name)
        if config is None:
            continue
        times = [parse_time(entry.get("time")) for entry in meta(config).get("managedFields") or []]
        changed = [t for t in times if _near(t, at)]
        if changed:
            moment = max(changed).strftime("%Y-%m-%dT%H:%M:%SZ")
            return Change(
                f"ConfigMap {name}, which its pods use, was updated at {moment}",
                [cite_object(config, name, "ConfigMap")],
                0.75,
            )
    return None


def _load_step(facts: Facts, namespace: str, service_name: str, at: datetime) -> Moment | None:
    """A step of the request rate around the moment latency or errors stepped: this Service's own first,
    else another Service's in its namespace (a promotion's load reaches the callers' dependencies too)."""
    near = [m for m in traffic_steps(facts, [namespace]) if _near(m.at, at)]
    own = [m for m in near if f"Service {namespace}/{service_name} " in m.what]
    return min(own or near, key=lambda m: abs(m.at - at), default=None)


def _rates_read(facts: Facts, namespace: str) -> bool:
    return any(
        (m.get("metric") or {}).get("namespace") == namespace
        for m in facts.metrics.get("http_request_rate", [])
    )


def _workloads(
    facts: Facts, namespace: str, service_name: str
) -> tuple[list[ResourceRef], list[dict[str, Any]]]:
    service = facts.find("Service", namespace, service_name)
    if service is None:
        return [], []
    pods = selected_pods(facts, service)
    refs = list({str(w): w for w in (workload_of(facts, p) for p in pods)}.values())
    return refs, pods


def analyze(facts: Facts) -> list[Candidate]:
    candidates: list[Candidate] = []
    for (namespace, service_name), jumps in sorted(_jumps(facts).items()):
        workloads, pods = _workloads(facts, namespace, service_name)
        if not workloads:
            continue
        first = min(jumps, key=lambda j: j.step.at)
        at = datetime.fromtimestamp(first.step.at, UTC)
        changes: list[tuple[ResourceRef, Change]] = []
        for workload in workloads:
            workload_pods = [p for p in pods if str(workload_of(facts, p)) == str(workload)]
            found = (_rollout_change(facts, workload, at), _config_change(facts, workload, workload_pods, at))
            changes.extend((workload, change) for change in found if change is not None)
        if changes:
            workload, change = max(changes, key=lambda item: item[1].weight)
        else:
            workload, change = workloads[0], None
        symptoms = "; ".join(j.text() for j in jumps)
        target = f"{workload.kind.lower()}/{workload.name}"
        metrics = {j.metric for j in jumps}
        worse = " and ".join(
            word
            for metric, word in (("http_latency_p95", "p95 latency"), ("http_error_ratio", "5xx errors"))
            if metric in metrics
        )
        cites = [cite_metric(j.metric, service_name) for j in jumps]
        errors = any(j.metric == "http_error_ratio" and j.now > 0.2 for j in jumps)
        at_text = at.strftime("%H:%M")
        if change is not None:
            cites.extend(change.cites)
            title = f"{service_name}: {worse} up since {at_text}, right after {change.text.split(' (')[0]}"
            explanation = (
                f"Service {namespace}/{service_name}: {symptoms}, stepping up at about {at_text}Z. "
                f"At that moment {change.text} in {workload}. The change is the likely cause: "
                f"compare the versions or roll back."
            )
            confidence = change.weight
        elif (load := _load_step(facts, namespace, service_name, at)) is not None:
            if load.cite is not None:
                cites.append(load.cite)
            title = f"{service_name}: {worse} up since {at_text}, as {load.what}; no rollout or config change"
            explanation = (
                f"Service {namespace}/{service_name}: {symptoms}, stepping up at about {at_text}Z. "
                f"At {load.at:%H:%M}Z {load.what}, and no new ReplicaSet or ConfigMap update of "
                f"{workload} happened around then: the load is the likely cause; compare it with the "
                f"capacity (replicas, CPU limits, autoscaling)."
            )
            confidence = 0.5
        else:
            title = f"{service_name}: {worse} up since {at_text}; no rollout or config change at that time"
            explanation = (
                f"Service {namespace}/{service_name}: {symptoms}, stepping up at about {at_text}Z. "
                f"No new ReplicaSet or ConfigMap update of {workload} happened around then"
                + (", nor a step in its traffic" if _rates_read(facts, namespace) else "")
                + "; look at load and dependencies."
            )
            confidence = 0.35
        # Without a change of its own, the step is the effect of what its calls fail to reach (a Service
        # with no endpoints, a dropped connection): correlation folds it into that dependency's problem.
        workload_pods = [p for p in pods if str(workload_of(facts, p)) == str(workload)]
        depends_on = [] if change is not None else failing_calls(facts, workload_pods)
        for call in failed_calls(facts, workload_pods)[-1:] if depends_on else []:
            cites.append(cite_log(*call.log, call.line))
        candidates.append(
            Candidate(
                title=title,
                category=Category.PerformanceRegression,
                resource=workload,
                confidence=confidence,
                explanation=explanation,
                cites=cites,
                affected=[ResourceRef(kind="Service", namespace=namespace, name=service_name)],
                severity=3 if errors else 2,
                depends_on=[ref for ref in depends_on if ref != workload],
                next_steps=[
                    NextStep(
                        description="See the rollout history",
                        command=f"kubectl -n {namespace} rollout history {target}",
                    ),
                    NextStep(
                        description="Roll back to the previous version if the new one is at fault",
                        command=f"kubectl -n {namespace} rollout undo {target}",
                    )
                    if change is not None
                    else NextStep(description="Look at the workload", command=kubectl(workload, "describe")),
                ],
            )
        )
    return candidates
