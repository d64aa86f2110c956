"""Problems read from object state, with the Event that says the same thing as extra evidence.

Events live one hour by default (kube-apiserver --event-ttl), so snapshots and support bundles taken
later hold few or none. The controllers write the same facts into state, and that is read first here:

- a controller that cannot create pods sets ``ReplicaFailure`` (reason FailedCreate, the API's error as
  message) on its ReplicaSet, and the Deployment controller copies it onto the Deployment;
- the scheduler sets ``PodScheduled=False`` (reason Unschedulable) with the same message as its
  FailedScheduling event.

Each reading carries a citation of the state, the event's citation when the event is still there, and
the time the problem started (the condition's lastTransitionTime, else the event).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.diagnose.candidate import Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import condition, event_time
from app.diagnose.workload_facts import (
    cite_event,
    cite_object,
    event_message,
    events_about,
    recent_events,
)
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import parse_time

# The kubelet's eviction messages for a pod over its own limits (pkg/kubelet/eviction): not node pressure.
LOCAL_LIMIT = re.compile(
    r"ephemeral local storage usage exceeds|exceeded its local ephemeral storage limit"
    r"|Usage of EmptyDir volume \"[^\"]+\" exceeds the limit"
)


def evicted_for_own_limit(pod: dict[str, Any]) -> bool:
    """Evicted because the pod went over its own ephemeral-storage limit, whatever the node had free."""
    status = pod.get("status") or {}
    return status.get("reason") == "Evicted" and bool(LOCAL_LIMIT.search(status.get("message") or ""))


@dataclass
class CreateFailure:
    """A controller (ReplicaSet, StatefulSet, ...) that cannot create its pods, and the API's reason."""

    kind: str
    namespace: str | None
    name: str
    message: str
    owner: dict[str, Any] | None  # the controller object, when it was read
    cites: list[Cite] = field(default_factory=list)
    since: datetime | None = None


def since_text(moment: datetime | None) -> str:
    """' since 2026-11-20 08:12 UTC' for an explanation, or '' when the state carries no time."""
    return f" since {moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def _still_failing(owner: dict[str, Any]) -> bool:
    """A ReplicaFailure that is still true: the controller has fewer pods than it wants."""
    wanted = (owner.get("spec") or {}).get("replicas")
    have = (owner.get("status") or {}).get("replicas")
    return wanted is None or have is None or int(have) < int(wanted) or int(wanted) == 0


def create_failures(facts: Facts) -> Iterator[CreateFailure]:
    """Controllers that cannot create pods: from their ReplicaFailure condition, else a recent
    FailedCreate event. One per controller; the event is added as evidence when both are there."""
    found: dict[tuple[str, str, str], CreateFailure] = {}
    covered: set[tuple[str, str]] = set()  # Deployments whose failing ReplicaSet is already found
    for kind in ("ReplicaSet", "Deployment"):
        for obj in facts.of_kind(kind):
            failure = condition(obj, "ReplicaFailure")
            if not failure or failure.get("status") != "True" or not failure.get("message"):
                continue
            if kind == "ReplicaSet" and not _still_failing(obj):
                continue
            if kind == "Deployment" and (namespace_of(obj) or "", name_of(obj)) in covered:
                continue  # the Deployment's copy of its ReplicaSet's condition
            for owner in meta(obj).get("ownerReferences") or []:
                if owner.get("kind") == "Deployment":
                    covered.add((namespace_of(obj) or "", owner.get("name", "")))
            found[(kind, namespace_of(obj) or "", name_of(obj))] = CreateFailure(
                kind,
                namespace_of(obj),
                name_of(obj),
                failure["message"],
                obj,
                [cite_object(obj, failure["message"], kind)],
                parse_time(failure.get("lastTransitionTime")),
            )
    for event in recent_events(facts, {"FailedCreate"}):
        involved = event.get("involvedObject") or {}
        kind, namespace, name = involved.get("kind", ""), involved.get("namespace"), involved.get("name", "")
        key = (kind, namespace or "", name)
        if key in found:
            found[key].cites.append(cite_event(event))
            continue
        found[key] = CreateFailure(
            kind,
            namespace,
            name,
            event_message(event),
            facts.find(kind, namespace, name),
            [cite_event(event)],
            event_time(event),
        )
    yield from found.values()


@dataclass
class Unschedulable:
    """Why the scheduler places no node for a pod: its message, the citations, since when."""

    message: str
    cites: list[Cite]
    since: datetime | None


def unschedulable(facts: Facts, pod: dict[str, Any]) -> Unschedulable | None:
    """A Pending pod the scheduler cannot place: the PodScheduled condition's message (the scheduler writes
    the FailedScheduling text there too), with a recent FailedScheduling event as extra evidence."""
    status = pod.get("status") or {}
    if status.get("phase") != "Pending" or (pod.get("spec") or {}).get("nodeName"):
        return None
    events = events_about(facts, "Pod", namespace_of(pod), name_of(pod), {"FailedScheduling"})
    scheduled = condition(pod, "PodScheduled") or {}
    state = (
        scheduled.get("message")
        if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable"
        else None
    )
    cites: list[Cite] = []
    if state:
        cites.append(cite_object(pod, state, "Pod"))
    if events:
        cites.append(cite_event(events[0]))
    message = event_message(events[0]) if events else state
    if not message:
        return None
    since = parse_time(scheduled.get("lastTransitionTime")) if state else None
    return Unschedulable(message, cites, since or (event_time(events[-1]) if events else None))


# ---- probes ----------------------------------------------------------------------------------------

PROBE_FIELDS = {"Liveness": "livenessProbe", "Readiness": "readinessProbe", "Startup": "startupProbe"}
KILL_EXIT_CODES = (137, 143)  # SIGKILL after the grace period, or SIGTERM honoured


def probe_port_mismatch(pod: dict[str, Any], probes: set[str]) -> str:
    """A probe pointed at a port the container does not declare (number or name), described; else ""."""
    for container in (pod.get("spec") or {}).get("containers") or []:
        declared = container.get("ports") or []
        numbers = {port.get("containerPort") for port in declared}
        names = {port.get("name") for port in declared if port.get("name")}
        for probe_name in sorted(probes):
            probe = container.get(PROBE_FIELDS[probe_name]) or {}
            action = probe.get("httpGet") or probe.get("tcpSocket") or probe.get("grpc") or {}
            port = action.get("port")
            if port is None or not declared:
                continue
            if isinstance(port, str) and not port.isdigit() and port not in names:
                return (
                    f"the {probe_name.lower()} probe uses port name {port!r}, "
                    f"which container {container['name']} does not declare"
                )
            if (isinstance(port, int) or str(port).isdigit()) and int(port) not in numbers:
                listening = ", ".join(str(n) for n in sorted(n for n in numbers if n))
                return (
                    f"the {probe_name.lower()} probe checks port {port}, but container {container['name']} "
                    f"listens on {listening}"
                )
    return ""


def _container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    for container in (pod.get("spec") or {}).get("containers") or []:
        if container.get("name") == name:
            return container
    return {}


def probe_window(probe: dict[str, Any]) -> int:
    """Seconds from start until a probe that always fails has failed enough times to act."""
    period = int(probe.get("periodSeconds") or 10)
    return int(probe.get("initialDelaySeconds") or 0) + period * int(probe.get("failureThreshold") or 3)


def liveness_kill(pod: dict[str, Any], status: dict[str, Any]) -> str:
    """Why a container's last instance looks killed by its liveness probe, from state alone; else "".

    The kubelet kills a container whose liveness probe keeps failing: it ends with 137 or 143 and no
    other reason, after about the probe's failure window (plus the grace period when it ignores SIGTERM).
    A probe aimed at a port the container does not declare says so outright."""
    container = _container(pod, status.get("name", ""))
    probe = container.get("livenessProbe")
    last = (status.get("lastState") or {}).get("terminated") or (status.get("state") or {}).get("terminated")
    if not probe or not last or last.get("exitCode") not in KILL_EXIT_CODES:
        return ""
    if last.get("reason") not in (None, "", "Error"):
        return ""
    mismatch = probe_port_mismatch({"spec": {"containers": [container]}}, {"Liveness"})
    if mismatch:
        return mismatch
    started, finished = parse_time(last.get("startedAt")), parse_time(last.get("finishedAt"))
    if started is None or finished is None:
        return ""
    ran = (finished - started).total_seconds()
    window = probe_window(probe)
    grace = int((pod.get("spec") or {}).get("terminationGracePeriodSeconds") or 30)
    period = int(probe.get("periodSeconds") or 10)
    if window <= ran <= window + grace + 2 * period + 10:
        return f"each instance ran {int(ran)}s (the liveness probe fails after {window}s) and was killed"
    return ""


def readiness_failing(pod: dict[str, Any], status: dict[str, Any], now: datetime) -> str:
    """A running, started container that stays unready past its readiness probe's failure window; else "".

    With no Unhealthy events left this is what state shows: ready=false, running, no restart."""
    container = _container(pod, status.get("name", ""))
    probe = container.get("readinessProbe")
    running = (status.get("state") or {}).get("running")
    if not probe or running is None or status.get("ready") or status.get("started") is False:
        return ""
    since = parse_time((running or {}).get("startedAt"))
    if since is None or (now - since).total_seconds() < probe_window(probe) + 60:
        return ""
    return f"container {status.get('name')} has been running since {since:%H:%M} UTC and is still not ready"


# ---- jobs ------------------------------------------------------------------------------------------

DEADLINE = "DeadlineExceeded"  # the job controller's reason when activeDeadlineSeconds ran out


def failed_condition(job: dict[str, Any]) -> dict[str, Any] | None:
    """A Job's Failed=True condition (BackoffLimitExceeded, DeadlineExceeded, ...), if it has one."""
    failed = condition(job, "Failed") or {}
    return failed if failed.get("status") == "True" else None


def stopped_by_deadline(facts: Facts, pod: dict[str, Any]) -> bool:
    """A pod of a Job that ran out of activeDeadlineSeconds: its kill is the deadline, not a crash."""
    if (pod.get("status") or {}).get("reason") == DEADLINE:
        return True
    owner = next((o for o in meta(pod).get("ownerReferences") or [] if o.get("kind") == "Job"), None)
    job = facts.find("Job", namespace_of(pod), owner.get("name", "")) if owner else None
    return job is not None and (failed_condition(job) or {}).get("reason") == DEADLINE
