"""From an alert group to the question kubewhy investigates: the object the alerts are about (from the
labels kube-state-metrics and the kube-prometheus rules set), what is wrong with it (from the alert name),
and the namespace. A group that names no object or namespace gets a health review of the widest scope it
does name, and says so.

Labels such as ``service``, ``job``, ``instance`` and ``endpoint`` on most alerts describe the scrape
target (kube-state-metrics itself), not the object in trouble; they are read only for the alerts that are
about a scrape target (TargetDown) or a node (node-exporter's ``instance``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.alerts.payload import Alert, Notification

# label -> the word the question uses for its kind; the first label present names the subject.
SUBJECT_LABELS: tuple[tuple[str, str], ...] = (
    ("deployment", "deployment"),
    ("statefulset", "statefulset"),
    ("daemonset", "daemonset"),
    ("cronjob", "cronjob"),
    ("job_name", "job"),
    ("horizontalpodautoscaler", "hpa"),
    ("persistentvolumeclaim", "pvc"),
    ("pod", "pod"),
    ("ingress", "ingress"),
    ("node", "node"),
)

# Alert names of the kube-prometheus rule set (kubernetes-mixin, node-mixin, the general rules) -> what
# the question says is wrong. Names not here are asked about as "failing", with the alert's summary.
TROUBLE: dict[str, str] = {
    "KubePodCrashLooping": "crash looping",
    "KubePodNotReady": "not ready",
    "KubeContainerWaiting": "stuck waiting to start",
    "KubeDeploymentReplicasMismatch": "not running all its replicas",
    "KubeDeploymentGenerationMismatch": "failing to roll out",
    "KubeDeploymentRolloutStuck": "stuck in its rollout",
    "KubeStatefulSetReplicasMismatch": "not running all its replicas",
    "KubeStatefulSetGenerationMismatch": "failing to roll out",
    "KubeStatefulSetUpdateNotRolledOut": "stuck in its rollout",
    "KubeDaemonSetRolloutStuck": "stuck in its rollout",
    "KubeDaemonSetNotScheduled": "not scheduled on every node",
    "KubeDaemonSetMisScheduled": "running pods where it should not",
    "KubeJobFailed": "failing",
    "KubeJobNotCompleted": "not completing",
    "KubeJobCompletion": "not completing",
    "KubeHpaMaxedOut": "scaled to its maximum replicas",
    "KubeHpaReplicasMismatch": "not reaching its desired replicas",
    "CPUThrottlingHigh": "slow from CPU throttling",
    "KubeCPUOvercommit": "short of cpu for its pods' requests",
    "KubeMemoryOvercommit": "short of memory for its pods' requests",
    "KubeCPUQuotaOvercommit": "short of cpu for its quotas",
    "KubeMemoryQuotaOvercommit": "short of memory for its quotas",
    "KubeQuotaAlmostFull": "near its resource quota",
    "KubeQuotaFullyUsed": "at its resource quota",
    "KubeQuotaExceeded": "over its resource quota",
    "KubePersistentVolumeFillingUp": "running out of disk space",
    "KubePersistentVolumeInodesFillingUp": "running out of disk space (inodes)",
    "KubePersistentVolumeErrors": "failing to provision its volume",
    "KubeNodeNotReady": "not ready",
    "NodeNotReady": "not ready",
    "KubeNodeUnreachable": "unreachable",
    "KubeNodeReadinessFlapping": "flapping between ready and not ready",
    "KubeletTooManyPods": "running too many pods",
    "KubeletDown": "down (its kubelet does not answer)",
    "NodeFilesystemSpaceFillingUp": "running out of disk space",
    "NodeFilesystemAlmostOutOfSpace": "running out of disk space",
    "NodeFilesystemFilesFillingUp": "running out of disk space (inodes)",
    "NodeMemoryHighUtilization": "under memory pressure",
    "NodeMemoryMajorPagesFaults": "under memory pressure",
    "NodeCPUHighUsage": "short of cpu",
    "NodeNetworkReceiveErrs": "dropping network traffic",
    "NodeNetworkTransmitErrs": "dropping network traffic",
    "TargetDown": "down",
}

# Alerts that are about a scrape target: their service/job labels name it.
TARGET_ALERTS = frozenset({"TargetDown"})
# node-exporter alerts: the node is in ``instance`` (kube-prometheus relabels it to the node name).
NODE_EXPORTER_PREFIX = "Node"
# Heartbeats that always fire by design: never investigated.
IGNORED = frozenset({"Watchdog", "InfoInhibitor", "DeadMansSwitch"})
MAX_NAMED = 3  # more subjects than this: the question is about their namespace
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class Subject:
    kind: str  # the question's word: deployment, pod, node, ...
    name: str
    namespace: str | None

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class AlertQuestion:
    """What to ask the engine about one alert group."""

    text: str
    namespace: str | None
    subjects: tuple[Subject, ...]
    placed: bool  # False: no object named; the question is a health review of ``namespace`` or the cluster
    trouble: str = "failing"
    said: str = ""  # the alert names and summary, appended to the question

    @property
    def scope(self) -> str:
        if self.subjects:
            shown = ", ".join(str(subject) for subject in self.subjects[:MAX_NAMED])
            more = len(self.subjects) - MAX_NAMED
            return shown + (f" and {more} more" if more > 0 else "")
        return f"namespace {self.namespace}" if self.namespace else "the whole cluster"

    def about(self, subjects: Sequence[Subject]) -> AlertQuestion:
        """The same question about other subjects (a pod's workload instead of the pod)."""
        return compose(tuple(dict.fromkeys(subjects)), self.namespace, self.trouble, self.said)


def _label(labels: dict[str, str], name: str) -> str | None:
    """A label's value; ``exported_<name>`` wins (the object's own label, kept when the scrape set one)."""
    return labels.get(f"exported_{name}") or labels.get(name) or None


def subject_of(alert: Alert) -> Subject | None:
    labels = alert.labels
    namespace = _label(labels, "namespace")
    for label, kind in SUBJECT_LABELS:
        value = _label(labels, label)
        if value:
            return Subject(kind, value, None if kind == "node" else namespace)
    if alert.name in TARGET_ALERTS and _label(labels, "service"):
        return Subject("service", _label(labels, "service") or "", namespace)
    if alert.name.startswith(NODE_EXPORTER_PREFIX) and labels.get("instance"):
        return Subject("node", labels["instance"].rsplit(":", 1)[0], None)
    return None


def trouble_of(names: Sequence[str]) -> str:
    known = [TROUBLE[name] for name in names if name in TROUBLE]
    return known[0] if known else "failing"


def relevant(notification: Notification) -> list[Alert]:
    """The alerts worth investigating: heartbeats (Watchdog) dropped."""
    return [alert for alert in notification.alerts if alert.name not in IGNORED]


def question_for(notification: Notification) -> AlertQuestion | None:
    """The question for the group's alerts (the firing ones, or all once resolved); None when the group
    holds only heartbeats."""
    alerts = [alert for alert in relevant(notification) if alert.status == "firing"] or relevant(notification)
    if not alerts:
        return None
    names = sorted({alert.name for alert in alerts})
    subjects = tuple(dict.fromkeys(s for s in (subject_of(alert) for alert in alerts) if s is not None))
    namespaces = sorted({ns for ns in (_label(a.labels, "namespace") for a in alerts) if ns})
    namespace = namespaces[0] if len(namespaces) == 1 else None
    summary = _summary(notification, alerts)
    said = f" (alert {', '.join(names)}{': ' + summary if summary else ''})"
    return compose(subjects, namespace, trouble_of(names), said)


def compose(subjects: tuple[Subject, ...], namespace: str | None, trouble: str, said: str) -> AlertQuestion:
    """The question's words: one to three subjects by name, more by count in their namespace, none as
    a health review of the namespace or the cluster."""
    where = f" in namespace {namespace}" if namespace else ""
    if subjects and len(subjects) <= MAX_NAMED:
        kinds = {subject.kind for subject in subjects}
        if len(subjects) == 1:
            text = f"why is {_in_namespace(subjects[0])} {trouble}?"
        else:
            kind = next(iter(kinds)) if len(kinds) == 1 else "object"
            listed = " and ".join(subject.name for subject in subjects)
            text = f"why are {_plural(kind)} {listed}{where} {trouble}?"
        return AlertQuestion(text + said, namespace, subjects, True, trouble, said)
    if subjects:  # many objects: their namespace, or the cluster, is the scope
        kind = subjects[0].kind if len({s.kind for s in subjects}) == 1 else "object"
        text = f"why are {len(subjects)} {_plural(kind)}{where} {trouble}?"
        return AlertQuestion(text + said, namespace, subjects, True, trouble, said)
    if namespace:
        return AlertQuestion(
            f"what is wrong in namespace {namespace}?{said}", namespace, (), False, trouble, said
        )
    return AlertQuestion(f"what is wrong in the cluster?{said}", None, (), False, trouble, said)


def _in_namespace(subject: Subject) -> str:
    if subject.namespace:
        return f"{subject.kind} {subject.name} in namespace {subject.namespace}"
    return f"{subject.kind} {subject.name}"


def _plural(kind: str) -> str:
    return kind if kind.endswith("s") else f"{kind}es" if kind.endswith(("ss", "x")) else f"{kind}s"


def _summary(notification: Notification, alerts: Sequence[Alert]) -> str:
    text = notification.commonAnnotations.get("summary") or alerts[0].annotations.get("summary", "")
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"
