"""A pod stuck initializing: an init container still running (or waiting, not crash-looping) long after
the pod was created, so its app containers never start ("Init:0/1").

The usual cause is a wait-for-dependency loop (a database that is down, a Service with no endpoints): the
init container's log names what it waits for, and that dependency, when broken, is the culprit the
correlator puts first. Crash-looping init containers are the crash analyzer's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import age, condition
from app.diagnose.log_shapes import last_lines
from app.diagnose.workload_facts import (
    cite_log,
    cite_object,
    container_statuses,
    group_by_workload,
    kubectl,
    pod_ref,
    ref_from_key,
)
from tools.contracts.diagnosis import Category, NextStep
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import parse_time
from tools.contracts.wording import clipped, plural

STUCK_AFTER = timedelta(minutes=10)  # an init step that waits this long is not a slow start any more


def _stuck_init(facts: Facts, pod: dict[str, Any]) -> dict[str, Any] | None:
    """The init container a pod has been held on for over STUCK_AFTER, if any."""
    if (pod.get("status") or {}).get("phase") != "Pending" or meta(pod).get("deletionTimestamp"):
        return None
    if (condition(pod, "PodScheduled") or {}).get("status") == "False":
        return None  # not on a node yet: the scheduler's
    for status in container_statuses(pod, init=True):
        state = status.get("state") or {}
        if "terminated" in state and (state["terminated"] or {}).get("exitCode") == 0:
            continue  # this step is done
        if (state.get("waiting") or {}).get("reason") in ("CrashLoopBackOff", "Error"):
            return None  # the crash analyzer's
        started = parse_time((state.get("running") or {}).get("startedAt")) or parse_time(
            meta(pod).get("creationTimestamp")
        )
        held = age(started.isoformat() if started else None, facts.now)
        return status if held is not None and held >= STUCK_AFTER else None
    return None


def analyze(facts: Facts) -> list[Candidate]:
    held = {id(pod): (pod, status) for pod in facts.of_kind("Pod") if (status := _stuck_init(facts, pod))}
    candidates = []
    for key, group in group_by_workload(facts, [pod for pod, _ in held.values()]).items():
        workload = ref_from_key(key)
        pod, status = held[id(group[0])]
        container = str(status.get("name") or "")
        log = facts.logs.get((namespace_of(pod), name_of(pod), container, False)) or ""
        last = last_lines(log, 1)
        cites: list[Cite] = [cite_object(pod, "Init:", "Pod")]
        waits = ""
        if last:
            cites.append(cite_log(namespace_of(pod) or "", name_of(pod), container, False, last[-1]))
            waits = f"; its log ends: '{clipped(last[-1], 120)}'"
        started = (status.get("state") or {}).get("running", {}).get("startedAt") or meta(pod).get(
            "creationTimestamp"
        )
        candidates.append(
            Candidate(
                title=f"{workload.name} is stuck initializing: init container {container} has not finished",
                category=Category.Other,
                resource=workload,
                confidence=0.6,
                explanation=(
                    f"{plural(len(group), 'pod')} of {workload} {'is' if len(group) == 1 else 'are'} held in "
                    f"Init: init container {container} of {name_of(pod)} has been running since {started} "
                    f"and the app containers never start{waits}. An init step that waits usually waits for "
                    "a dependency (a database, a Service): check that it is up and reachable."
                ),
                cites=cites,
                affected=[pod_ref(p) for p in group[:10]],
                began=parse_time(started),
                severity=2,
                next_steps=[
                    NextStep(
                        description="Read what the init container waits for",
                        command=f"kubectl -n {namespace_of(pod)} logs {name_of(pod)} -c {container}",
                    ),
                    NextStep(
                        description="See the pod's init status", command=kubectl(pod_ref(pod), "describe")
                    ),
                ],
            )
        )
    return candidates
