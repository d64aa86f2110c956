"""Failed Jobs: BackoffLimitExceeded (its pods kept failing) and DeadlineExceeded (it ran too long).

Evidence is the Job's own state: condition Failed=True with the job controller's reason and message
("Job has reached the specified backoff limit", "Job was active longer than specified deadline"), its
failed count against backoffLimit, and the exit of a failed pod when one is left (the job controller and
ttlSecondsAfterFinished often delete them). A CronJob's Job names the CronJob; a later successful run of
the same CronJob makes the failure history. Failed pods that still exist with an application exit are the
crash analyzer's, so a backoff failure is reported here only when none remains. A deadline is always
reported here, and the crash analyzer leaves the pods such a Job's controller killed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import condition, controller_of, is_recent
from app.diagnose.state_facts import DEADLINE, failed_condition
from app.diagnose.workload_facts import cite_object, container_statuses, current_terminated, kubectl, pods_of
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import parse_time
from tools.contracts.wording import noun_for, plural

WINDOW = timedelta(hours=6)  # a failed run stays worth reporting until later runs have had a chance


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for job in facts.of_kind("Job"):
        failed = failed_condition(job)
        if failed is None:
            continue
        since = failed.get("lastTransitionTime") or (job.get("status") or {}).get("completionTime")
        if since and not is_recent(since, facts.now, WINDOW):
            continue
        owner = _cronjob(job)
        if owner is not None and _later_success(facts, job, owner):
            continue
        ref = ResourceRef(kind="Job", namespace=namespace_of(job), name=name_of(job))
        workload = ResourceRef(kind="CronJob", namespace=ref.namespace, name=owner) if owner else ref
        exits = [
            terminated
            for pod in pods_of(facts, ref)
            for status in container_statuses(pod, init=False)
            if (terminated := current_terminated(status))
        ]
        reason = failed.get("reason") or "Failed"
        if reason != DEADLINE and any(t.get("exitCode") not in (0, None) for t in exits):
            continue  # the crash analyzer reads the failed pods and their logs
        key = (workload.kind, workload.namespace or "", workload.name)
        candidates.setdefault(key, _candidate(job, workload, failed, exits))
    return list(candidates.values())


def _cronjob(job: dict[str, Any]) -> str | None:
    owner = controller_of(job) or {}
    return owner.get("name") if owner.get("kind") == "CronJob" else None


def _later_success(facts: Facts, job: dict[str, Any], cronjob: str) -> bool:
    """A later Job of the same CronJob completed: this failure is history."""
    started = parse_time(meta(job).get("creationTimestamp"))
    for other in facts.of_kind("Job", namespace_of(job)):
        complete = condition(other, "Complete") or {}
        later = parse_time(meta(other).get("creationTimestamp"))
        if (
            _cronjob(other) == cronjob
            and complete.get("status") == "True"
            and later
            and started
            and later > started
        ):
            return True
    return False


def _candidate(
    job: dict[str, Any], workload: ResourceRef, failed: dict[str, Any], exits: list[dict[str, Any]]
) -> Candidate:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    reason, message = failed.get("reason") or "Failed", failed.get("message") or ""
    namespace, name = namespace_of(job), name_of(job)
    if reason == DEADLINE:
        limit = spec.get("activeDeadlineSeconds")
        title = f"Job {name} was stopped: it ran longer than its activeDeadlineSeconds ({limit}s)"
        explanation = (
            f"Job {namespace}/{name} failed with DeadlineExceeded ({message}): the job controller stopped "
            f"its pods after {limit}s. Either the work takes longer than allowed (raise "
            "activeDeadlineSeconds) or it hangs (read its last log)."
        )
        category = Category.Other
    else:
        codes = sorted({str(t.get("exitCode")) for t in exits if t.get("exitCode") is not None})
        title = f"Job {name} failed: {reason} after {plural(status.get('failed', 0), 'failed pod')}"
        explanation = (
            f"Job {namespace}/{name} failed with {reason} ({message}): "
            f"{plural(status.get('failed', 0), 'pod')} "
            f"failed against a backoffLimit of {spec.get('backoffLimit', 6)}"
            + (
                f", {noun_for(len(codes), 'exit code')} {', '.join(codes)}"
                if codes
                else "; the failed pods are gone"
            )
            + ". The job's own program fails: run it again and read its log."
        )
        category = Category.AppCrash
    if workload.kind == "CronJob":
        explanation += f" It is a run of CronJob {workload.name}."
    return Candidate(
        title=title,
        category=category,
        resource=workload,
        confidence=0.8,
        explanation=explanation,
        cites=[cite_object(job, message or reason, "Job")],
        affected=[ResourceRef(kind="Job", namespace=namespace, name=name)],
        severity=2,
        next_steps=[
            NextStep(
                description="Read the Job's state", command=f"kubectl -n {namespace} describe job {name}"
            ),
            NextStep(description="Fix the job's program or limits", command=kubectl(workload, "edit")),
        ],
    )
