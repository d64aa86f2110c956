"""Suggested starter questions for a cluster, from its health review.

The built-in diagnostician answers "what is wrong in the cluster?" once; its top findings become the
questions a person would ask about the symptom (not the answer): a crash-looping workload becomes "Why
does payments keep restarting?", a blocking NetworkPolicy becomes a question about the workload that
cannot connect.
"""

from __future__ import annotations

from tools.contracts.diagnosis import Category, Diagnosis, Finding

HEALTH_QUESTION = "What is wrong in the cluster?"
MAX_STARTERS = 4

_TEMPLATES: dict[Category, str] = {
    Category.AppCrash: "Why does {name} keep restarting?",
    Category.OOMKilled: "Why is {name} running out of memory?",
    Category.ImagePull: "Why is {name} not starting?",
    Category.MissingConfig: "Why is {name} not starting?",
    Category.ProbeFailure: "Why is {name} failing its health checks?",
    Category.InsufficientResources: "Why are the {name} pods stuck in Pending?",
    Category.SchedulingConstraint: "Why are the {name} pods stuck in Pending?",
    Category.StorageProvisioning: "Why is the volume {name} not ready?",
    Category.VolumeAttach: "Why can the volume {name} not be mounted?",
    Category.VolumeFull: "Why is {name} running out of disk space?",
    Category.QuotaExceeded: "Why are new pods not being created in {namespace}?",
    Category.ServiceNoEndpoints: "Why do requests to {name} fail?",
    Category.ServicePortMismatch: "Why do requests to {name} fail?",
    Category.DNSFailure: "Why are DNS lookups failing for {name}?",
    Category.IngressMisconfig: "Why is {name} not reachable from outside?",
    Category.CPUThrottling: "Why is {name} slow?",
    Category.PerformanceRegression: "Why is {name} slower than before?",
    Category.AutoscalingLimit: "Why is {name} not scaling?",
    Category.NodeNotReady: "What is wrong with node {name}?",
    Category.NodePressure: "What is wrong with node {name}?",
    Category.CertificateExpired: "Why are TLS connections with {name} failing?",
    Category.RBACForbidden: "Why is {name} getting permission errors?",
}


def starter_questions(review: Diagnosis, limit: int = MAX_STARTERS) -> list[str]:
    """Questions about the review's top findings (most likely first), without duplicates."""
    questions: list[str] = []
    for finding in review.findings:
        question = question_for(finding)
        if question not in questions:
            questions.append(question)
        if len(questions) >= limit:
            break
    return questions


def question_for(finding: Finding) -> str:
    resource = finding.resource
    template = _TEMPLATES.get(finding.category)
    if finding.category is Category.NetworkPolicyBlocked:
        return f"Why can {_subject(finding)} not reach the services it needs?"
    if template is None:
        return f"What is wrong with {resource.kind} {resource.name}?"
    return template.format(name=resource.name, namespace=resource.namespace or "the cluster")


def _subject(finding: Finding) -> str:
    """The workload that shows the symptom: a title like "shop/checkout cannot reach ..." starts with it."""
    first = finding.title.split(" ", 1)[0]
    name = first.rsplit("/", 1)[-1].strip(":,")
    return name or finding.resource.name
