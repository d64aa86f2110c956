"""Measured answers: when the asked-about event happened (OOM kills, restarts, evictions, probe failures,
drops), when the subject's trouble began and what changed just before it, and tables of pods by restarts,
memory or CPU. Every reading comes from what the gather step read through the tools; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from app.diagnose import series as ts
from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import WORKLOAD_KINDS, condition, pods_on_node
from app.diagnose.service_facts import selected_pods
from app.diagnose.subject import Subject, victims
from app.diagnose.workload_facts import (
    cite_event,
    cite_metric_of,
    cite_object,
    container_statuses,
    find,
    owner_workload,
)
from tools.contracts.diagnosis import Category, ResourceRef
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import parse_time, rfc3339
from tools.contracts.printed import printed_key
from tools.contracts.wording import clipped, plural
from tools.kubernetes.events import event_message as printed_message
from tools.prometheus.summary import ChangePoint, noise_sigma, summarize

NETWORK_CATEGORIES = (
    Category.NetworkPolicyBlocked, Category.DNSFailure, Category.ServicePortMismatch,
    Category.ServiceNoEndpoints, Category.NetworkCapacity,
)  # fmt: skip
HISTORY = timedelta(hours=2)  # how far back onsets and changes are looked for (the metrics window)
ONGOING = timedelta(minutes=15)  # an event seen this recently is still going on
CHANGES_BEFORE = timedelta(minutes=30)
CHANGES_AFTER = timedelta(minutes=2)  # a change logged just after the first sign can still be its cause
CHANGE_KINDS = (
    "NetworkPolicy", "CiliumNetworkPolicy", "ConfigMap", "Secret", "ResourceQuota", "LimitRange", "Service",
    "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Role", "RoleBinding", "Certificate",
    "PersistentVolumeClaim", "Deployment", "StatefulSet", "DaemonSet",
)  # fmt: skip
# which kind of change an object's creation or edit is (how a timeline groups them)
CHANGE_GROUPS = {
    "ReplicaSet": "rollout", "Deployment": "rollout", "StatefulSet": "rollout", "DaemonSet": "rollout",
    "ConfigMap": "config", "Secret": "config", "Certificate": "config",
    "NetworkPolicy": "policy", "CiliumNetworkPolicy": "policy", "Role": "policy", "RoleBinding": "policy",
    "ResourceQuota": "policy", "LimitRange": "policy", "PodDisruptionBudget": "policy",
    "Service": "service", "Ingress": "service", "PersistentVolumeClaim": "storage",
    "HorizontalPodAutoscaler": "scaling", "Node": "node",
}  # fmt: skip
TRAFFIC_STEP = 1.5  # a request rate this many times higher or lower than before is a traffic change
MIN_TRAFFIC_STEP = 1.0  # requests/s: a smaller move of a quiet Service is noise
_TROUBLE_REASONS = (
    "BackOff", "Failed", "FailedScheduling", "Unhealthy", "FailedMount", "FailedCreate", "Evicted",
    "Evicting", "NodeNotReady", "OOMKilling", "FailedGetResourceMetric", "FailedComputeMetricsReplicas",
    "FailedAttachVolume",
    "ProvisioningFailed", "FailedCreatePodSandBox", "ErrImagePull", "Killing", "FailedToUpdateEndpoint",
    "InvalidDiskCapacity", "EvictionThresholdMet", "NodeHasDiskPressure", "FailedBinding",
)  # fmt: skip


@dataclass
class Moment:
    at: datetime
    what: str
    cite: Cite | None = None  # the tool output line that shows it (for a change: its object or event)
    kind: str = ""  # for a change: which kind of change (:data:`CHANGE_GROUPS`, or "traffic")


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def clock(moment: datetime, now: datetime) -> str:
    """'09:05' within the last 20 hours, else '2026-09-21 09:30': a time alone would read as today's."""
    return hhmm(moment) if now - moment < timedelta(hours=20) else moment.strftime("%Y-%m-%d %H:%M")


def _pods(facts: Facts, subject: Subject) -> list[dict[str, Any]]:
    if subject.ref.kind == "Node":
        return pods_on_node(facts, subject.ref.name)
    if subject.ref.kind == "Namespace":
        return list(facts.of_kind("Pod", subject.ref.name))
    return [
        p
        for p in facts.of_kind("Pod", subject.ref.namespace)
        if subject.owns(_pod_ref(p)) and not _another_workloads(facts, p, subject)
    ]


def _another_workloads(facts: Facts, pod: dict[str, Any], subject: Subject) -> bool:
    """A pod named like the subject but owned by another workload (keycloak-db-0 is not keycloak's)."""
    if subject.ref.kind == "Pod" or not meta(pod).get("ownerReferences"):
        return False
    owner = owner_workload(facts, pod)
    return owner.kind != "Pod" and (owner.kind, owner.name) != (subject.ref.kind, subject.ref.name)


def _pod_ref(pod: dict[str, Any]) -> Any:
    from tools.contracts.diagnosis import ResourceRef

    return ResourceRef(kind="Pod", namespace=namespace_of(pod), name=name_of(pod))


def _events_of(facts: Facts, subject: Subject, pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pod_names = {name_of(p) for p in pods}
    found = []
    for event in facts.events:
        involved = event.get("involvedObject") or {}
        name, kind, ns = involved.get("name", ""), involved.get("kind", ""), involved.get("namespace")
        if (
            name in pod_names
            or (kind == subject.ref.kind and name == subject.ref.name)
            or (
                kind in ("Pod", "ReplicaSet")
                and ns == subject.ref.namespace
                and any(name.startswith(p) for p in subject.pod_prefixes)
            )
            or (
                subject.ref.kind == "Node"
                and kind == "Pod"
                and subject.ref.name in (event.get("message") or "")
            )
        ):
            found.append(event)
    return found


def _first(event: dict[str, Any]) -> datetime | None:
    for field in ("firstTimestamp", "eventTime", "lastTimestamp"):
        moment = parse_time(event.get(field))
        if moment:
            return moment
    return parse_time(meta(event).get("creationTimestamp"))


def _last(event: dict[str, Any]) -> datetime | None:
    for field in ("lastTimestamp", "eventTime", "firstTimestamp"):
        moment = parse_time(event.get(field))
        if moment:
            return moment
    return None


# ---- occurrence -------------------------------------------------------------------------------------


def occurrences(facts: Facts, subject: Subject, event: str, candidates: list[Candidate]) -> list[Moment]:
    """Every time the asked-about event is on record for the subject, oldest first."""
    pods = _pods(facts, subject)
    found: list[Moment] = []
    for pod in pods:
        for status in container_statuses(pod):
            for state_name in ("lastState", "state"):
                terminated = (status.get(state_name) or {}).get("terminated") or {}
                if not terminated:
                    continue
                reason = terminated.get("reason") or ""
                at = parse_time(terminated.get("finishedAt"))
                if at is None:
                    continue
                oom = reason == "OOMKilled"
                if (event == "oom" and oom) or event == "restart":
                    how = (
                        "was OOM-killed"
                        if oom
                        else f"exited ({reason or 'exit'} {terminated.get('exitCode')})"
                    )
                    found.append(Moment(at, f"{name_of(pod)} {how}"))
            waiting = (status.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason") or ""
            if (event == "restart" and reason == "CrashLoopBackOff") or (
                event == "pull" and "Image" in reason
            ):
                found.append(Moment(facts.now, f"{name_of(pod)} is in {reason}"))
        if event == "evicted" and (pod.get("status") or {}).get("reason") == "Evicted":
            at = _pod_failed_at(pod) or parse_time(meta(pod).get("creationTimestamp"))
            if at is not None:
                found.append(
                    Moment(
                        at,
                        f"{name_of(pod)} was evicted: {clipped(_status_message(pod), 160)}",
                    )
                )
    evicted = {name_of(pod) for pod in pods if (pod.get("status") or {}).get("reason") == "Evicted"}
    for item in _events_of(facts, subject, pods):
        reason, message = item.get("reason") or "", item.get("message") or ""
        if reason == "Evicted" and (item.get("involvedObject") or {}).get("name") in evicted:
            continue  # that eviction is on record once already, from the pod's own status
        last = _last(item)
        if last is None:
            continue
        if (
            (
                event == "oom"
                and (reason == "OOMKilling" or "OOMKilled" in message or "out of memory" in message.lower())
            )
            or (event == "evicted" and reason in ("Evicted", "Evicting"))
            or (event == "probe" and reason == "Unhealthy")
            or (event == "restart" and reason == "BackOff" and "restarting" in message)
            or (event == "pull" and ("pull" in message.lower() and reason in ("Failed", "BackOff")))
        ):
            found.append(Moment(last, f"{reason}: {clipped(printed_message(item), 140)}"))
    if event == "throttled":
        found.extend(_throttled(facts, subject, candidates))
    if event == "changed":
        found.extend(_changes_of(facts, subject))
    if event in ("node_down", "restart") and subject.ref.kind == "Node":  # "did worker-4 die / reboot?"
        found.extend(node_outages(facts, subject.ref.name))
    elif event == "node_down":  # "did cart go not ready?": the outages of the nodes its pods run on
        for node in sorted({(pod.get("spec") or {}).get("nodeName") or "" for pod in pods} - {""}):
            found.extend(node_outages(facts, node))
    if event == "dropped":
        for flow in facts.flows:
            if flow.get("verdict") == "DROPPED" and _flow_touches(flow, subject):
                at = parse_time(flow.get("time"))
                if at is not None:
                    found.append(Moment(at, "a connection was dropped"))
    return sorted(found, key=lambda m: m.at)


def _status_message(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("message") or "")


def node_outages(facts: Facts, name: str | None = None) -> list[Moment]:
    """When a node went NotReady or rebooted: its Ready condition's last change to not True, and its
    NodeNotReady, NodeStatusUnknown and Rebooted events (every node's when ``name`` is None)."""
    nodes = [node for node in facts.of_kind("Node") if name is None or name_of(node) == name]
    found = []

    def which(node: str) -> str:  # one node asked about is already named by the answer
        return "" if name else f"node {node} "

    for node in nodes:
        ready = condition(node, "Ready") or {}
        at = parse_time(ready.get("lastTransitionTime"))
        if ready and ready.get("status") != "True" and at is not None:
            why = ready.get("reason") or "NotReady"
            found.append(Moment(at, f"{which(name_of(node))}went NotReady ({why})"))
    found += _nodes_gone(facts, name, which)
    names = {name_of(node) for node in nodes}
    outages = ("NodeNotReady", "NodeStatusUnknown", "Rebooted")
    for event in facts.events:
        involved = event.get("involvedObject") or {}
        about_node = involved.get("kind") == "Node" and involved.get("name") in names
        at = _last(event) if about_node and event.get("reason") in outages else None
        if at is not None:
            reason = event.get("reason") or ""
            found.append(Moment(at, reason if name else f"node {involved.get('name')}: {reason}"))
    return found


def _nodes_gone(facts: Facts, name: str | None, which: Any) -> list[Moment]:
    """A node the API no longer has while pods are still bound to it was lost (deleted by the cloud
    provider, or removed by hand): dated by the first of its pods to stop being ready."""
    known = {name_of(node) for node in facts.of_kind("Node")}
    lost: dict[str, datetime] = {}
    for pod in facts.of_kind("Pod"):
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or node in known or (name is not None and node != name):
            continue
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        ready = condition(pod, "Ready") or {}
        at = parse_time(ready.get("lastTransitionTime")) if ready.get("status") != "True" else None
        if at is not None and (node not in lost or at < lost[node]):
            lost[node] = at
    return [Moment(at, f"{which(node)}gone from the API, its pods not ready") for node, at in lost.items()]


CHANGE_HISTORY = timedelta(days=400)  # "was there a rollout?": every change the objects still date


def _changes_of(facts: Facts, subject: Subject) -> list[Moment]:
    """What was rolled out, created or edited in the subject (a namespace: anything in it), as the
    changes before an onset are read; a step in traffic or a node's event is not a change somebody made."""
    if subject.ref.kind == "Namespace":
        namespaces, whole = [subject.ref.name], True
    elif subject.ref.namespace:
        namespaces, whole = [subject.ref.namespace], False
    else:
        return []
    found = []
    for moment in changes_between(facts, facts.now - CHANGE_HISTORY, facts.now, namespaces):
        if moment.kind == "traffic" or moment.cite is None or moment.cite.ref.kind != "object":
            continue
        kind, namespace, name = moment.cite.ref.key
        if whole or subject.owns(ResourceRef(kind=kind, namespace=namespace or None, name=name)):
            found.append(moment)
    return found


def _pod_failed_at(pod: dict[str, Any]) -> datetime | None:
    for item in (pod.get("status") or {}).get("conditions") or []:
        if item.get("type") in ("DisruptionTarget", "Ready") and item.get("lastTransitionTime"):
            return parse_time(item["lastTransitionTime"])
    return None


def _throttled(facts: Facts, subject: Subject, candidates: list[Candidate]) -> list[Moment]:
    found = []
    for candidate in candidates:
        if candidate.category.value == "CPUThrottling" and subject.owns(candidate.resource):
            found.append(Moment(facts.now, candidate.title))
    for item in facts.metrics.get("cpu_throttling", []):
        labels = item.get("metric") or {}
        if labels.get("namespace") != subject.ref.namespace:
            continue
        if not any(labels.get("pod", "").startswith(p) for p in subject.pod_prefixes):
            continue
        value = ts.latest(item, facts.now)
        if value is not None and value >= 0.25:
            found.append(Moment(facts.now, f"{labels.get('pod')} is throttled in {value:.0%} of CPU periods"))
    return found


def _flow_touches(flow: dict[str, Any], subject: Subject) -> bool:
    """The flow was sent by or to the subject's pods (a namespace: any pod of it)."""
    for side in ("source", "destination"):
        end = flow.get(side) or {}
        pod = end.get("pod_name") or ""
        if subject.ref.kind == "Namespace" and end.get("namespace") == subject.ref.name:
            return True
        if end.get("namespace") == subject.ref.namespace and any(
            pod.startswith(p) for p in subject.pod_prefixes
        ):
            return True
    return False


# ---- onset and the changes before it -----------------------------------------------------------------


def onset(facts: Facts, findings: list[Candidate], subject: Subject | None) -> Moment | None:
    """When the trouble asked about began: the earliest sign of it that is still going on, on the culprit
    and the objects showing the symptom (warning events, pods not ready, node conditions, dropped or failed
    flows, level shifts in error rate, latency or throttling, a certificate's expiry), however long ago:
    a capture read hours after the incident still dates it by the conditions and event series it holds."""
    if not findings:
        return None
    top = findings[0]
    culprit = (top.resource.kind, top.resource.namespace, top.resource.name)
    # A caller's symptom folded in because it depends on the culprit dates the trouble by its events and
    # failed requests, not by its latency: that may have risen earlier, for other reasons.
    callers = [c for c in top.caused if culprit in {(r.kind, r.namespace, r.name) for r in c.depends_on}]
    caller_refs = [ref for c in callers for ref in (c.resource, *c.affected)]
    chain = [top, *top.caused]
    refs = []
    for candidate in chain:
        for ref in (candidate.resource, *victims(candidate, facts)):
            if ref not in refs:
                refs.append(ref)
    signs: list[Moment] = []
    for ref in refs:
        signs.extend(_signs_of(facts, ref))
    signs.extend(_metric_steps(facts, [ref for ref in refs if ref not in caller_refs]))
    signs.extend(_metric_steps(facts, caller_refs, metrics=("http_error_ratio",)))
    if any(c.category in NETWORK_CATEGORIES for c in chain):
        signs.extend(_flow_starts(facts, refs))
    if any(c.category is Category.OOMKilled for c in chain):
        signs.extend(_memory_at_limit(facts, refs))
    if (
        subject is not None
        and (top.resource.kind, top.resource.namespace, top.resource.name) in subject.depends
    ):
        signs.extend(_failed_calls(facts, subject))
        # the subject's own errors, not its latency: a broken dependency shows as failed requests
        signs.extend(_metric_steps(facts, [subject.ref], metrics=("http_error_ratio",)))
    signs.extend(Moment(c.began, c.title) for c in chain if c.began is not None)
    return min(signs, key=lambda s: s.at) if signs else None


def _failed_calls(facts: Facts, subject: Subject) -> list[Moment]:
    """When the subject's calls to a broken dependency began to fail: its first timestamped error line
    (connection refused, timeout, no such host) in the logs read."""
    from app.diagnose.log_shapes import find_shapes

    names = {name_of(pod) for pod in _pods(facts, subject)}
    found = []
    for (_ns, pod, _container, _previous), text in facts.logs.items():
        if pod not in names:
            continue
        for shape in find_shapes(text, ("connection_refused", "timeout", "no_such_host")):
            at = parse_time(shape.timestamp) if shape.timestamp else None
            if at is not None:
                found.append(Moment(at, f"{pod}: {clipped(shape.line, 120)}"))
                break
    return found


def _signs_of(facts: Facts, ref: Any) -> list[Moment]:
    from app.diagnose.subject import subject_of

    signs: list[Moment] = []
    if ref.kind == "Node":
        node = find(facts, "Node", None, ref.name) or {}
        for item in (node.get("status") or {}).get("conditions") or []:
            bad = (
                item.get("status") != "True" if item.get("type") == "Ready" else item.get("status") == "True"
            )
            at = parse_time(item.get("lastTransitionTime"))
            if bad and at is not None:
                signs.append(Moment(at, f"node {ref.name} {item.get('type')}={item.get('status')}"))
    subject = subject_of(ref, facts)
    if subject is None:
        return signs
    pods = _pods(facts, subject) if ref.kind in (*WORKLOAD_KINDS, "Pod") else []
    for item in _events_of(facts, subject, pods):
        last, first = _last(item), _first(item)
        if item.get("type") != "Warning" and item.get("reason") not in _TROUBLE_REASONS:
            continue
        if last is None or first is None or facts.now - last > ONGOING:
            continue
        signs.append(Moment(first, f"{item.get('reason')}: {clipped(printed_message(item), 120)}"))
    signs.extend(_restart_bursts(facts, ref, pods))
    dated = bool(signs)
    for pod in pods:
        ready = condition(pod, "Ready") or {}
        if ready.get("status") == "True":
            continue
        if any(s.get("restartCount") for s in container_statuses(pod)):
            # a crash loop is dated by its events; with them expired, by when the pod stopped being ready
            at = None if dated else parse_time(ready.get("lastTransitionTime"))
            if at is not None:
                signs.append(Moment(at, f"pod {name_of(pod)} not ready"))
            continue
        created = parse_time(meta(pod).get("creationTimestamp"))
        scheduled = condition(pod, "PodScheduled") or {}
        moment = (
            created
            if created and facts.now - created <= HISTORY
            else parse_time(ready.get("lastTransitionTime"))
            or parse_time(scheduled.get("lastTransitionTime"))  # never scheduled: no Ready condition yet
            or created
        )
        if moment is not None:
            signs.append(Moment(moment, f"pod {name_of(pod)} not ready"))
    return signs


def _restart_bursts(facts: Facts, ref: Any, pods: list[dict[str, Any]]) -> list[Moment]:
    """When a container that is still restarting (its restart counter rose in the last half hour) first
    restarted within the metrics window: kube-state-metrics' restart counter, sample by sample."""
    names = {name_of(pod) for pod in pods}
    found = []
    for item in facts.metrics.get("container_restarts", []):
        labels = item.get("metric") or {}
        if labels.get("namespace") != ref.namespace or labels.get("pod") not in names:
            continue
        data = ts.points(item)
        rises = [t for (t0, v0), (t, v) in pairwise(data) if v > v0 and t > t0]
        if rises and facts.now.timestamp() - rises[-1] <= 2 * ONGOING.total_seconds():
            at = datetime.fromtimestamp(rises[0], tz=facts.now.tzinfo)
            found.append(Moment(at, f"{labels.get('pod')} started restarting"))
    return found


def _memory_at_limit(facts: Facts, refs: list[Any]) -> list[Moment]:
    """The first time, in the metrics window, that a container of an OOM-killed workload reached its
    memory limit (cAdvisor working set at 90% of it or more): when the kills began."""
    prefixes = [(r.namespace, f"{r.name}-") for r in refs if r.kind in (*WORKLOAD_KINDS, "Pod")]
    found = []
    for item in facts.metrics.get("memory_working_set_ratio", []):
        labels = item.get("metric") or {}
        pod = labels.get("pod") or ""
        if not any(labels.get("namespace") == ns and pod.startswith(p) for ns, p in prefixes):
            continue
        peaks = [t for t, value in ts.points(item) if value >= 0.9]
        if peaks:
            found.append(
                Moment(
                    datetime.fromtimestamp(peaks[0], tz=facts.now.tzinfo), f"{pod} reached its memory limit"
                )
            )
    return found


def _metric_steps(
    facts: Facts,
    refs: list[Any],
    metrics: tuple[str, ...] = ("http_error_ratio", "http_latency_p95", "cpu_throttling"),
) -> list[Moment]:
    names = {(r.namespace, r.name) for r in refs}
    prefixes = [(r.namespace, f"{r.name}-") for r in refs if r.kind in WORKLOAD_KINDS]
    steps = []
    minimums = {"http_error_ratio": 0.02, "http_latency_p95": 0.0, "cpu_throttling": 0.15}
    for metric, minimum in ((name, minimums[name]) for name in metrics):
        for item in facts.metrics.get(metric, []):
            labels = item.get("metric") or {}
            ns = labels.get("namespace")
            owner = labels.get("service") or ""
            pod = labels.get("pod") or ""
            if (ns, owner) not in names and not any(ns == p_ns and pod.startswith(p) for p_ns, p in prefixes):
                continue
            step = ts.change_point(item)
            if step is None or step.after <= max(step.before * 1.5, minimum):
                continue
            at = datetime.fromtimestamp(step.at, tz=facts.now.tzinfo)
            steps.append(
                Moment(at, f"{metric} of {owner or pod} rose from {step.before:.3g} to {step.after:.3g}")
            )
    return steps


def _flow_starts(facts: Facts, refs: list[Any]) -> list[Moment]:
    workloads = [r for r in refs if r.kind in WORKLOAD_KINDS]
    policies = {r.name for r in refs if "Policy" in r.kind}
    starts = []
    for flow in facts.flows:
        ends = [flow.get("source") or {}, flow.get("destination") or {}]
        mine = any(
            end.get("namespace") == w.namespace and (end.get("pod_name") or "").startswith(f"{w.name}-")
            for end in ends
            for w in workloads
        )
        if not mine and policies:
            mine = flow.get("verdict") == "DROPPED" and any(
                ends[1].get("namespace") == r.namespace for r in refs if "Policy" in r.kind
            )
        if mine:
            at = parse_time(flow.get("time"))
            if at is not None:
                starts.append(Moment(at, f"first {str(flow.get('verdict', 'failed')).lower()} flow"))
    return [min(starts, key=lambda m: m.at)] if starts else []


def changes_before(facts: Facts, moment: datetime, namespaces: list[str]) -> list[Moment]:
    """What changed in the half hour before ``moment`` (and up to two minutes after it) in the namespaces
    involved (:func:`changes_between`)."""
    return changes_between(facts, moment - CHANGES_BEFORE, moment + CHANGES_AFTER, namespaces)


def changes_between(facts: Facts, start: datetime, end: datetime, namespaces: list[str]) -> list[Moment]:
    """What was created, rolled out or edited from ``start`` to ``end`` in these namespaces: new
    ReplicaSets (their Deployment's rollout), policies, config, quotas, Services and workloads created or
    last changed (managedFields, where the API kept them); node and autoscaler events; a Service's request
    rate jumping or collapsing. Each change cites the tool line that shows it."""
    found: list[Moment] = []
    for kind in (*CHANGE_KINDS, "ReplicaSet"):
        for obj in facts.of_kind(kind):
            ns = namespace_of(obj)
            if ns not in namespaces:
                continue
            created = parse_time(meta(obj).get("creationTimestamp"))
            if created is not None and start <= created <= end:
                found.append(_created(facts, kind, obj, created))
            changed = _last_changed(obj)
            if (
                kind != "ReplicaSet"
                and changed is not None
                and start <= changed <= end
                and changed != created
            ):
                needle = f"last changed: {rfc3339(changed)}"
                cite = cite_object(obj, needle, kind)
                found.append(Moment(changed, f"{kind} {ns}/{name_of(obj)} changed", cite, _group(kind)))
    for event in facts.events:
        involved = event.get("involvedObject") or {}
        if involved.get("kind") not in ("Node", "HorizontalPodAutoscaler"):
            continue
        at = _first(event)
        if at is not None and start <= at <= end:
            what = f"{involved.get('kind')} {involved.get('name')}: {event.get('reason')}"
            found.append(Moment(at, what, cite_event(event), _group(str(involved.get("kind")))))
    found.extend(m for m in traffic_steps(facts, namespaces) if start <= m.at <= end)
    return sorted(found, key=lambda m: m.at)


def _group(kind: str) -> str:
    return CHANGE_GROUPS.get(kind, "object")


def traffic_steps(facts: Facts, namespaces: list[str]) -> list[Moment]:
    """Each Service's request rate stepping to a new level (a promotion's load, callers cut off), found
    by the same change-point reading the request-rate check prints (so a change and its evidence agree on
    the time and the levels); cited by that check for the Service's workload."""
    steps = []
    for item in facts.metrics.get("http_request_rate", []):
        labels = item.get("metric") or {}
        ns, service = labels.get("namespace") or "", labels.get("service") or ""
        if ns not in namespaces or not service:
            continue
        read = summarize(labels, item.get("values") or [])
        for number, step in enumerate(read.change_points, start=1):
            low, high = sorted((step.before, step.after))
            if high - low < MIN_TRAFFIC_STEP or high < TRAFFIC_STEP * low:
                continue
            moved = "rose" if step.after > step.before else "fell"
            now = f" ({_rate(read.last)}/s now)" if number == len(read.change_points) else ""
            rates = f"{_rate(step.before)} to {_rate(step.after)} requests/s{now}"
            what = f"requests to Service {ns}/{service} {moved} from {rates}"
            cite = cite_metric_of("http_request_rate", ns, _serving_workload(facts, ns, service), service)
            at = datetime.fromtimestamp(_ramp_start(read.points, step), tz=facts.now.tzinfo)
            steps.append(Moment(at, what, cite, "traffic"))
    return steps


def _ramp_start(points: list[list[float | None]], step: ChangePoint) -> float:
    """When a step began: a rate over a window climbs to its new level over several samples, and the
    change point falls mid-ramp; walk back over the samples already clearly on their way (beyond the
    noise and a tenth of the jump from the old level, toward the new one)."""
    import numpy as np  # only with metrics: a question about a cluster without them never loads it

    earlier = [(t, v) for t, v in points if t is not None and v is not None]
    jump = step.after - step.before
    margin = max(0.1 * abs(jump), 2 * noise_sigma(np.array([v for _, v in earlier])))
    start = step.at
    for stamp, value in reversed([(t, v) for t, v in earlier if t < step.at]):
        if (value - step.before) * (1 if jump > 0 else -1) <= margin:
            break
        start = stamp
    return start


def _rate(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _serving_workload(facts: Facts, namespace: str, service: str) -> str:
    """The workload whose pods serve a Service (its selected pods' owner, else a workload of its name);
    "" when none is known."""
    obj = find(facts, "Service", namespace, service)
    for pod in selected_pods(facts, obj) if obj is not None else []:
        owner = owner_workload(facts, pod)
        if owner.kind in WORKLOAD_KINDS:
            return owner.name
    kinds = ("Deployment", "StatefulSet", "DaemonSet")
    return service if any(find(facts, kind, namespace, service) is not None for kind in kinds) else ""


def _created(facts: Facts, kind: str, obj: dict[str, Any], created: datetime) -> Moment:
    ns = namespace_of(obj)
    if kind != "ReplicaSet":
        return Moment(
            created,
            f"{kind} {ns}/{name_of(obj)} created",
            cite_object(obj, kind=kind, key=printed_key("created")),
            _group(kind),
        )
    owner = (meta(obj).get("ownerReferences") or [{}])[0]
    image = ",".join(
        c.get("image", "")
        for c in ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers", [])
    )
    what = f"Deployment {ns}/{owner.get('name', name_of(obj))} rolled out ReplicaSet {name_of(obj)} ({image})"
    deployment = (
        find(facts, "Deployment", ns, owner.get("name", "")) if owner.get("kind") == "Deployment" else None
    )
    if deployment is not None:  # its describe holds the new and the old ReplicaSets side by side
        cite = cite_object(deployment, kind="Deployment", key=printed_key("replicaset", name_of(obj)))
        return Moment(created, what, cite, "rollout")
    return Moment(created, what, cite_object(obj, kind="ReplicaSet", key=printed_key("created")), "rollout")


def _last_changed(obj: dict[str, Any]) -> datetime | None:
    times = [parse_time(entry.get("time")) for entry in meta(obj).get("managedFields") or []]
    return max((t for t in times if t is not None), default=None)


# ---- ranking ----------------------------------------------------------------------------------------


@dataclass
class Row:
    pod: str
    namespace: str
    restarts: int
    last: str  # the last termination, e.g. "OOMKilled 08:00"
    value: float | None = None  # memory bytes or CPU cores, for those rankings


def restart_table(facts: Facts, namespaces: list[str] | None) -> list[Row]:
    rows = []
    for pod in facts.of_kind("Pod"):
        ns = namespace_of(pod) or ""
        if namespaces and ns not in namespaces:
            continue
        restarts, last = 0, ""
        for status in container_statuses(pod):
            restarts += int(status.get("restartCount") or 0)
            terminated = (status.get("lastState") or {}).get("terminated") or {}
            at = parse_time(terminated.get("finishedAt"))
            if at is not None:
                last = f"{terminated.get('reason', 'exit')} {hhmm(at)}"
        rows.append(Row(name_of(pod), ns, restarts, last))
    return sorted(rows, key=lambda r: (-r.restarts, r.namespace, r.pod))


def usage_table(ctx: Any, facts: Facts, metric: str, namespaces: list[str] | None) -> list[Row] | None:
    """Pods by memory working set or CPU use now, from Prometheus (None when there is no Prometheus)."""
    prometheus = getattr(ctx, "prometheus", None)
    if prometheus is None:
        return None
    selector = '{container!="", container!="POD"}'
    promql = (
        f"sum by (namespace, pod) (container_memory_working_set_bytes{selector})"
        if metric == "memory"
        else f"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{selector}[5m]))"
    )
    try:
        result = prometheus.query(promql, facts.now)
    except Exception:  # a failing Prometheus makes the table unavailable, not the answer
        return None
    restarts = {(r.namespace, r.pod): r for r in restart_table(facts, namespaces)}
    rows = []
    for item in result:
        labels = item.get("metric") or {}
        ns, pod = labels.get("namespace", ""), labels.get("pod", "")
        if namespaces and ns not in namespaces:
            continue
        try:
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        known = restarts.get((ns, pod))
        rows.append(Row(pod, ns, known.restarts if known else 0, known.last if known else "", value))
    return sorted(rows, key=lambda r: (-(r.value or 0.0), r.namespace, r.pod))


def serving_pods(facts: Facts, subject: Subject) -> list[dict[str, Any]]:
    """The subject's pods meant to be running: a Job's finished pods and pods on their way out are not."""
    return [
        p
        for p in _pods(facts, subject)
        if (p.get("status") or {}).get("phase") not in ("Failed", "Succeeded")
        and not meta(p).get("deletionTimestamp")
    ]


def still_serving(facts: Facts, subject: Subject) -> bool:
    """Some pod of the subject is ready: it is degraded, maybe, but not down."""
    return any((condition(p, "Ready") or {}).get("status") == "True" for p in serving_pods(facts, subject))


def status_checks(facts: Facts, subject: Subject) -> str:
    """What was looked at for a status answer, in numbers: "2/2 pods ready, 0 restarts in 45 min"."""
    if subject.ref.kind == "Node":
        node = find(facts, "Node", None, subject.ref.name) or {}
        ready = (condition(node, "Ready") or {}).get("status", "unknown")
        pressure = [
            c.get("type")
            for c in (node.get("status") or {}).get("conditions") or []
            if c.get("type") != "Ready" and c.get("status") == "True"
        ]
        return f"Ready={ready}" + (f", {', '.join(pressure)}" if pressure else ", no pressure conditions")
    if subject.ref.kind not in (*WORKLOAD_KINDS, "Pod", "Namespace"):
        return f"checked {subject.ref} and the problems found in what was read"
    pods = serving_pods(facts, subject)
    ready = sum(1 for p in pods if (condition(p, "Ready") or {}).get("status") == "True")
    restarts = sum(int(s.get("restartCount") or 0) for p in pods for s in container_statuses(p))
    what = "pods" if subject.ref.kind != "Namespace" else f"pods in namespace {subject.ref.name}"
    if not pods and subject.ref.kind in ("CronJob", "Job"):
        return "no pod running now (its runs finish)"
    return f"{ready}/{len(pods)} {what} ready, {plural(restarts, 'restart')} on record"
