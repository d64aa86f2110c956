"""AppCrash: containers (init containers included) that keep exiting with an application error.

The evidence an SRE reads: the waiting reason (CrashLoopBackOff), the last exit code, the BackOff event
and, above all, the last lines of the previous container's log. OOM kills and liveness-probe kills have
their own analyzers; a crash whose log blames a certificate, a full disk or RBAC is still reported here
but with low confidence, since the analyzer of that cause names the object to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.dependencies import dependency_refs
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import is_recent
from app.diagnose.log_shapes import SHAPE_WORDS, LogShape, best_shape, error_summary, last_lines
from app.diagnose.state_facts import liveness_kill, stopped_by_deadline
from app.diagnose.workload_facts import (
    cite_event,
    cite_log,
    cite_object,
    container_statuses,
    current_terminated,
    event_message,
    events_about,
    group_by_workload,
    is_init_container,
    kubectl,
    last_terminated,
    logs_step,
    outage_severity,
    pod_healthy,
    pod_key,
    pod_ref,
    ref_from_key,
    restarted_recently,
    rollout_stuck_cite,
    waiting,
)
from tools.contracts.diagnosis import Category, NextStep
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.wording import plural, verb

EXIT_CODES = {
    1: "a general application error",
    2: "a Go panic, or bad command-line arguments",
    126: "a command that cannot be executed",
    127: "a command that was not found",
    134: "an abort (SIGABRT)",
    137: "a SIGKILL",
    139: "a segmentation fault (SIGSEGV)",
    143: "a SIGTERM",
}
CRASH_WAITING = {"CrashLoopBackOff", "RunContainerError"}
DEPENDENCY_SHAPES = {"connection_refused", "timeout", "no_such_host", "dns_timeout"}
OTHER_CAUSE_SHAPES = {"forbidden", "x509_expired", "no_space"}  # their own analyzers name the culprit


@dataclass
class Crash:
    pod: dict[str, Any]
    container: str
    init: bool
    exit_code: int | None
    waiting_reason: str
    waiting_message: str
    log_previous: bool | None  # None: no log read
    log_text: str
    restarts: int


def analyze(facts: Facts) -> list[Candidate]:
    crashes: dict[tuple[str, str], list[Crash]] = {}
    crashing_pods = []
    for pod in facts.of_kind("Pod"):
        if pod_healthy(facts, pod) or stopped_by_deadline(facts, pod):
            continue  # a Job's deadline kill is the jobs analyzer's
        if (pod.get("status") or {}).get("reason") == "Evicted":
            continue  # the kubelet killed it (exit 137) to free its node: the node's or volume's problem
        for status in container_statuses(pod):
            crash = _crash_of(facts, pod, status)
            if crash:
                if pod_key(pod) not in crashes:
                    crashing_pods.append(pod)
                crashes.setdefault(pod_key(pod), []).append(crash)
    if not crashes:
        return []
    candidates = []
    for key, pods in group_by_workload(facts, crashing_pods).items():
        workload = ref_from_key(key)
        found = [crash for pod in pods for crash in crashes[pod_key(pod)]]
        candidates.append(_candidate(facts, workload, found))
    return candidates


def _crash_of(facts: Facts, pod: dict[str, Any], status: dict[str, Any]) -> Crash | None:
    wait, last, now_terminated = waiting(status), last_terminated(status), current_terminated(status)
    if "OOMKilled" in (last.get("reason"), now_terminated.get("reason")):
        return None  # the OOM analyzer's
    name = status.get("name", "")
    terminated = {}
    if wait.get("reason") in CRASH_WAITING:
        terminated = last
    elif now_terminated and now_terminated.get("exitCode", 0) != 0:
        if not is_recent(now_terminated.get("finishedAt") or now_terminated.get("startedAt"), facts.now):
            return None
        terminated = now_terminated
    elif last and last.get("exitCode", 0) != 0 and restarted_recently(facts, status):
        terminated = last
    else:
        return None
    exit_code = terminated.get("exitCode")
    if exit_code in (137, 143) and (_killed_by_liveness(facts, pod, name) or liveness_kill(pod, status)):
        return None  # the probe analyzer's
    previous = bool(last) and terminated is last
    log_key = (namespace_of(pod) or "", name_of(pod), name, previous)
    other_key = (log_key[0], log_key[1], name, not previous)
    log_previous: bool | None = None
    text = ""
    if facts.logs.get(log_key):
        log_previous, text = previous, facts.logs[log_key]
    elif facts.logs.get(other_key):
        log_previous, text = not previous, facts.logs[other_key]
    return Crash(
        pod=pod,
        container=name,
        init=is_init_container(pod, name),
        exit_code=exit_code,
        waiting_reason=wait.get("reason", ""),
        waiting_message=wait.get("message", ""),
        log_previous=log_previous,
        log_text=text,
        restarts=int(status.get("restartCount") or 0),
    )


def _killed_by_liveness(facts: Facts, pod: dict[str, Any], container: str) -> bool:
    for event in events_about(facts, "Pod", namespace_of(pod), name_of(pod), {"Killing", "Unhealthy"}):
        message = event_message(event)
        if "failed liveness probe" in message or message.startswith("Liveness probe failed"):
            return True
    return False


def _candidate(facts: Facts, workload, found: list[Crash]) -> Candidate:
    # The most telling crash: one with a recognised log line, else one with any log.
    shaped = [(crash, best_shape(crash.log_text)) for crash in found]
    primary, shape = next(
        ((crash, shape) for crash, shape in shaped if shape),
        next(((crash, None) for crash in found if crash.log_text), (found[0], None)),
    )
    pod, namespace = primary.pod, namespace_of(primary.pod) or ""
    what = f"init container {primary.container}" if primary.init else f"container {primary.container}"
    cites: list[Cite] = [cite_object(primary.pod, primary.waiting_reason or name_of(pod), "Pod")]
    for event in events_about(facts, "Pod", namespace, name_of(pod), {"BackOff"})[:1]:
        cites.append(cite_event(event))
    cause, confidence = _cause(primary, shape)
    if shape:
        cites.append(
            cite_log(namespace, name_of(pod), primary.container, bool(primary.log_previous), shape.line)
        )
    elif primary.log_text:
        tail = last_lines(primary.log_text, 1)
        if tail:
            cites.append(
                cite_log(namespace, name_of(pod), primary.container, bool(primary.log_previous), tail[0])
            )
    stuck = rollout_stuck_cite(facts, workload)
    if stuck:
        cites.append(stuck)
    pods = sorted({name_of(crash.pod) for crash in found})
    exit_words = f" with exit code {primary.exit_code}" if primary.exit_code is not None else ""
    explanation = (
        f"{what} of pod {name_of(pod)} exits{exit_words}"
        + (f" ({EXIT_CODES[primary.exit_code]})" if primary.exit_code in EXIT_CODES else "")
        + (f" and is in {primary.waiting_reason}" if primary.waiting_reason else "")
        + f" after {primary.restarts} restarts; {plural(len(pods), 'pod')} of {workload} "
        f"{verb(len(pods), 'is', 'are')} affected. "
        + (f"Its log says: {shape.line!r}, so {cause}." if shape else f"{cause[0].upper()}{cause[1:]}.")
    )
    if shape and shape.kind in DEPENDENCY_SHAPES:
        explanation += " The dependency it needs may be the real cause: check that it is up and reachable."
    if shape and shape.kind in OTHER_CAUSE_SHAPES:
        explanation += " The crash is a symptom; the object to fix is named by that cause."
    if stuck:
        explanation += " Its rollout has exceeded its progress deadline."
    steps = [
        logs_step(namespace, name_of(pod), primary.container, previous=primary.log_previous is not False)
    ]
    if shape and shape.kind == "missing_env":
        steps.append(
            NextStep(
                description="List the environment the workload sets",
                command=f"kubectl -n {namespace} set env {workload.kind.lower()}/{workload.name} --list",
            )
        )
    steps.append(NextStep(description=f"Fix the {what} configuration", command=kubectl(workload, "edit")))
    depends_on = (
        dependency_refs(facts, shape.detail, namespace) if shape and shape.kind in DEPENDENCY_SHAPES else []
    )
    return Candidate(
        title=f"{workload.name} keeps crashing: {_short(primary, shape)}",
        category=Category.AppCrash,
        resource=workload,
        confidence=confidence,
        explanation=explanation,
        cites=cites,
        affected=[pod_ref(crash.pod) for crash in found],
        severity=outage_severity(facts, workload) if primary.restarts >= 2 or primary.waiting_reason else 1,
        next_steps=steps,
        depends_on=[ref for ref in depends_on if ref != workload],
    )


def _cause(crash: Crash, shape: LogShape | None) -> tuple[str, float]:
    if shape is None:
        code = EXIT_CODES.get(crash.exit_code or -1, "an error")
        return f"the application stops with {code}", 0.7 if crash.log_text else 0.6
    detail = shape.detail
    if shape.kind == "missing_env":
        return f"the required environment variable {detail or ''} is not set".replace("  ", " "), 0.9
    if shape.kind in ("exception", "exec_error"):
        return "the application fails on start", 0.85
    if shape.kind in DEPENDENCY_SHAPES:
        words = {
            "connection_refused": "refuses connections",
            "timeout": "does not answer (timeout)",
            "no_such_host": "does not resolve",
            "dns_timeout": "DNS does not answer",
        }[shape.kind]
        return f"it exits because {detail or 'a dependency'} {words}", 0.6
    return f"it exits because {_shape_words(shape)}", 0.4


def _shape_words(shape: LogShape) -> str:
    return SHAPE_WORDS.get(shape.kind, "of an error")


def _short(crash: Crash, shape: LogShape | None) -> str:
    if shape is None:
        code = f"exit code {crash.exit_code}" if crash.exit_code is not None else crash.waiting_reason
        return f"{'init container ' + crash.container + ' ' if crash.init else ''}{code}".strip()
    if shape.kind == "missing_env" and shape.detail:
        return f"missing environment variable {shape.detail}"
    if shape.kind in DEPENDENCY_SHAPES and shape.detail:
        return (
            f"{shape.detail} {'refuses connections' if shape.kind == 'connection_refused' else 'unreachable'}"
        )
    if shape.kind == "exception":  # the error it states says more than "fails with an error"
        return error_summary(shape.line)
    return _shape_words(shape)
