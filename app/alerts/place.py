"""A pod named by an alert is asked about as its workload: the owner chain (Pod -> ReplicaSet ->
Deployment, Pod -> StatefulSet, Pod -> Job -> CronJob) read from the cluster, the top controller kept.
Pods come and go (a crash-looping pod is replaced); the workload is what the operator fixes."""

from __future__ import annotations

import logging

from app.alerts.mapping import AlertQuestion, Subject
from tools.contracts.kube import objects
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeError
from tools.kubernetes.describe import owner_chain

log = logging.getLogger(__name__)

MAX_READS = 20  # pods placed by reading their owners; more are asked about by count anyway
KIND_WORDS = {
    "Deployment": "deployment",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
    "CronJob": "cronjob",
}


def workload_of(ctx: ToolContext, subject: Subject) -> Subject:
    """The pod's top controller as a subject; the pod itself when it has none or cannot be read."""
    if subject.kind != "pod" or ctx.kube is None:
        return subject
    try:
        pod = ctx.kube.find_object("Pod", subject.name, subject.namespace)
        chain = owner_chain(ctx.kube, pod) if pod is not None else []
    except KubeError as exc:
        log.info("reading the owners of pod %s failed: %s", subject, exc)
        return subject
    for owner in reversed(chain):
        word = KIND_WORDS.get(str(owner.get("kind")))
        meta = objects.meta(owner)
        if word and meta.get("name") and not meta.get("missing"):
            return Subject(word, str(meta["name"]), subject.namespace)
    return subject


def placed(ctx: ToolContext, question: AlertQuestion) -> AlertQuestion:
    """The question with every pod replaced by its workload."""
    if not any(subject.kind == "pod" for subject in question.subjects):
        return question
    subjects = question.subjects
    return question.about([workload_of(ctx, s) for s in subjects[:MAX_READS]] + list(subjects[MAX_READS:]))
