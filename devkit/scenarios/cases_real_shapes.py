"""Scenarios in the shapes real clusters and support bundles have: Events expired or written only as
events.k8s.io/v1, the scheduler's pre-1.10 predicates text, evictions for a pod's own limits, failed Jobs,
finalizers, nodes that are gone, native sidecars, logs without timestamps.

Message texts follow the Kubernetes sources (scheduler FitError, kubelet eviction helpers, job controller,
node lifecycle controller); the objects are written here.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster
from devkit.scenarios.catalog import Distractor, scenario
from devkit.scenarios.families import events_v1_only, expire_events, patch_objects, strip_log_timestamps
from devkit.synth import ClusterBuilder, mount, pvc_volume
from devkit.synth.extras import after_write, bound_pvc, evicted_pod
from tools.contracts.kube.time import rfc3339


def _events_gone(b: ClusterBuilder) -> None:
    """The snapshot is taken after the API server's event TTL: not one Event is left."""
    after_write(b, lambda _b, out: expire_events(out, None))


def _owned_pod(
    b: ClusterBuilder, workload: str, suffix: str, created: str = "3d", **status: Any
) -> dict[str, Any]:
    """A pod of the workload's current ReplicaSet written as the API keeps it (for states the builder does
    not model: bound to a vanished node, deleted but held by a finalizer)."""
    dep = b.workload(workload)
    rs = dep.current
    template = copy.deepcopy(rs.template)
    meta = status.pop("metadata", {})
    spec = {**template["spec"], **status.pop("spec", {})}
    return b.add(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{rs.name}-{suffix}",
                "namespace": dep.namespace,
                "generateName": f"{rs.name}-",
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [
                    {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                     "kind": "ReplicaSet", "name": rs.name, "uid": rs.uid}
                ],
                **meta,
            },
            "spec": spec,
            "status": status,
        },
        created=created,
    )  # fmt: skip


# ---- scheduling ---------------------------------------------------------------------------------------


@scenario(
    "old-scheduler-predicates",
    "why are the report-builder pods stuck Pending on the old cluster?",
    culprit=("Deployment", "analytics", "report-builder"),
    category="InsufficientResources",
)
def old_scheduler_predicates():
    """An old cluster: the workers are at their pod limit and the scheduler writes the pre-1.10 predicates
    text; the control-plane node is NotReady as well, which is not why the pods wait."""
    b = cluster("old-scheduler-predicates", seed=901, packs=("shop",), nodes=3)
    b.node(
        "master-1", role="control-plane", cpu="2", memory="8Gi", created="300d",
        conditions={"Ready": ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "3h")},
        taints=[{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"},
                {"effect": "NoSchedule", "key": "node.kubernetes.io/unreachable"}],
    )  # fmt: skip
    noise = [
        Distractor(("Node", None, "master-1"), "NotReady for hours; no workload runs there", "NodeNotReady"),
        d.old_restart(b, "shop/cart", at="6h"),
    ]
    dep = b.deployment(
        "analytics", "report-builder", f"{REGISTRY}/analytics/report-builder:0.8.0", replicas=4,
        port=8080, cpu="100m", memory="128Mi", created="50m", rolled_out="50m", revision=1,
    )  # fmt: skip
    for pod in dep.pods:
        pod.cannot_schedule(
            "50m",
            "No nodes are available that match all of the predicates: Insufficient pods (3), "
            "NodeNotReady (1).",
        )
    return b, noise


@scenario(
    "gpu-unschedulable-events-gone",
    "the trainer pods have been Pending all morning, is the cluster broken?",
    culprit=("Deployment", "ml", "trainer"),
    category="InsufficientResources",
)
def gpu_unschedulable_events_gone():
    """trainer asks for a GPU no node has free; captured hours later, so only the PodScheduled condition
    still says why."""
    b = cluster("gpu-unschedulable-events-gone", seed=902, packs=("shop", "data"))
    noise = [d.old_restart(b, "data/redis", at="7h"), d.resolved_probe_warning(b, "shop/catalog")]
    dep = b.deployment(
        "ml", "trainer", f"{REGISTRY}/ml/trainer:2.1.0", replicas=2, port=8080,
        created="4h", rolled_out="4h", revision=1,
    )  # fmt: skip
    for pod in dep.pods:
        pod.cannot_schedule(
            "4h",
            "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: "
            "3 No preemption victims found for incoming pod.",
        )
    _events_gone(b)
    return b, noise


@scenario(
    "affinity-unschedulable-events-gone",
    "search-indexer never starts, it has been like this since yesterday",
    culprit=("Deployment", "search", "search-indexer"),
    category="SchedulingConstraint",
)
def affinity_unschedulable_events_gone():
    """search-indexer requires nodes labelled disktype=nvme and there are none; no Event is left."""
    b = cluster("affinity-unschedulable-events-gone", seed=903, packs=("shop",))
    noise = [d.old_restart(b, "shop/frontend", at="9h")]
    dep = b.deployment(
        "search", "search-indexer", f"{REGISTRY}/search/indexer:5.0.1", replicas=1, port=9200,
        node_selector={"disktype": "nvme"}, created="20h", rolled_out="20h", revision=1,
    )  # fmt: skip
    for pod in dep.pods:
        pod.cannot_schedule(
            "20h",
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: "
            "0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        )
    _events_gone(b)
    return b, noise


@scenario(
    "volume-zone-conflict",
    "ledger pod is Pending after the node maintenance",
    culprit=("Deployment", "billing", "ledger"),
    category="SchedulingConstraint",
)
def volume_zone_conflict():
    """ledger's volume lives in eu-west-1a; the only node there is cordoned, the others are in other
    zones, so no node can mount it."""
    b = cluster("volume-zone-conflict", seed=904, packs=("shop", "billing"))
    b.nodes["worker-1"].unschedulable = True
    noise = [d.old_restart(b, "billing/invoices", at="5h"), d.recovered_node(b, "worker-3")]
    bound_pvc(b, "billing", "ledger-data", node="worker-1", size="20Gi", created="30d")
    dep = b.deployment(
        "billing", "ledger", f"{REGISTRY}/billing/ledger:3.2.0", replicas=1, port=8080,
        volumes=[pvc_volume("data", "ledger-data")], volume_mounts=[mount("data", "/var/lib/ledger")],
        created="30d", rolled_out="35m", revision=4,
    )  # fmt: skip
    for pod in dep.pods:
        pod.cannot_schedule(
            "35m",
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity "
            "conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        )
    return b, noise


# ---- evictions ---------------------------------------------------------------------------------------


@scenario(
    "ephemeral-storage-own-limit",
    "transcoder pods keep getting evicted on every node",
    culprit=("Deployment", "media", "transcoder"),
    category="VolumeFull",
)
def ephemeral_storage_own_limit():
    """transcoder writes scratch files beyond its 2Gi ephemeral-storage limit: the kubelet evicts it on
    whatever node it lands; no node is short of disk. Events as a 1.19+ server stores them
    (events.k8s.io/v1 only)."""
    b = cluster("ephemeral-storage-own-limit", seed=905, packs=("shop", "media"))
    noise = [d.old_restart(b, "shop/cart", at="7h")]
    dep = b.deployment(
        "media", "transcoder", f"{REGISTRY}/media/transcoder:1.4.0", replicas=2, port=8080,
        created="10d", rolled_out="10d", revision=2,
    )  # fmt: skip
    for index, (node, at) in enumerate((("worker-1", "40m"), ("worker-2", "25m"), ("worker-3", "9m"))):
        evicted_pod(
            b, dep, node=node, at=at, index=index,
            message="Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. ",
        )  # fmt: skip
    after_write(b, lambda _b, out: events_v1_only(out))
    return b, [
        *noise,
        Distractor(("Node", None, "worker-1"), "hosted an evicted pod; no pressure", "NodePressure"),
    ]


@scenario(
    "memory-eviction-events-gone",
    "pods on worker-2 keep disappearing",
    culprit=("Node", None, "worker-2"),
    category="NodePressure",
)
def memory_eviction_events_gone():
    """worker-2 runs out of memory and evicts pods; the node still reports MemoryPressure; Events expired."""
    b = cluster("memory-eviction-events-gone", seed=906, packs=("shop", "billing"))
    noise = [d.old_restart(b, "shop/catalog", at="8h")]
    b.nodes["worker-2"].conditions["MemoryPressure"] = (
        "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", b.at("30m"),
    )  # fmt: skip
    worker = b.workload("billing/billing-worker")
    for index, at in enumerate(("28m", "12m")):
        evicted_pod(
            b, worker, node="worker-2", at=at, index=index,
            message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 81276Ki. "
            "Container billing-worker was using 1843200Ki, request is 256Mi, has larger consumption of "
            "memory. ",
        )  # fmt: skip
    _events_gone(b)
    return b, noise


# ---- jobs --------------------------------------------------------------------------------------------


def _job(
    b: ClusterBuilder,
    namespace: str,
    name: str,
    *,
    created: str,
    finished: str,
    failed: dict[str, Any],
    spec: dict[str, Any],
    owner: dict[str, Any] | None = None,
    failed_pods: int = 0,
) -> dict[str, Any]:
    template = {
        "metadata": {"labels": {"job-name": name}},
        "spec": {"restartPolicy": "Never", "containers": [
            {"name": name.split("-")[0], "image": f"{REGISTRY}/{namespace}/{name.rsplit('-', 1)[0]}:1.0"}]},
    }  # fmt: skip
    when = rfc3339(b.at(finished))
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {"job-name": name}}
    if owner:
        metadata["ownerReferences"] = [owner]
    return b.add(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": metadata,
            "spec": {"completions": 1, "parallelism": 1, "template": template, **spec},
            "status": {
                "conditions": [
                    {"type": "FailureTarget", "status": "True", "lastProbeTime": when,
                     "lastTransitionTime": when, **failed},
                    {"type": "Failed", "status": "True", "lastProbeTime": when, "lastTransitionTime": when,
                     **failed},
                ],
                "failed": failed_pods,
                "startTime": rfc3339(b.at(created)),
                "terminating": 0,
                "ready": 0,
            },
        },
        created=created,
        generation=True,
    )  # fmt: skip


@scenario(
    "cronjob-backoff-limit",
    "the nightly invoice export produced nothing, what happened?",
    culprit=("CronJob", "billing", "invoice-export"),
    category="AppCrash",
)
def cronjob_backoff_limit():
    """The 02:00 run of invoice-export failed six times and hit its backoffLimit; its pods were cleaned up
    and the Events have expired: only the Job's Failed condition tells."""
    b = cluster("cronjob-backoff-limit", seed=907, packs=("shop", "billing"))
    noise = [d.old_restart(b, "billing/invoices", at="10h")]
    cron = b.add(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "invoice-export", "namespace": "billing"},
            "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                     "jobTemplate": {"spec": {"backoffLimit": 6}}},
            "status": {"lastScheduleTime": rfc3339(b.at("4h"))},
        },
        created="90d",
    )  # fmt: skip
    owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": "invoice-export",
             "uid": cron["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}  # fmt: skip
    _job(
        b, "billing", "invoice-export-29391840", created="4h", finished="3h", owner=owner, failed_pods=7,
        spec={"backoffLimit": 6},
        failed={"reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"},
    )  # fmt: skip
    _events_gone(b)
    return b, noise


@scenario(
    "job-deadline-exceeded",
    "the search reindex job failed again, why?",
    culprit=("Job", "data", "search-reindex"),
    category="Other",
)
def job_deadline_exceeded():
    """search-reindex has activeDeadlineSeconds 900 and now needs longer: the job controller stops it."""
    b = cluster("job-deadline-exceeded", seed=908, packs=("shop", "data"))
    noise = [d.old_restart(b, "data/redis", at="6h"), d.resolved_probe_warning(b, "shop/cart")]
    _job(
        b, "data", "search-reindex", created="50m", finished="35m", failed_pods=1,
        spec={"backoffLimit": 2, "activeDeadlineSeconds": 900},
        failed={"reason": "DeadlineExceeded", "message": "Job was active longer than specified deadline"},
    )  # fmt: skip
    return b, noise


# ---- deletion and lost nodes ---------------------------------------------------------------------------


@scenario(
    "stuck-terminating-finalizer",
    "an old catalog pod has been Terminating for two hours and will not go away",
    culprit=("Pod", "shop", "catalog-old-finalizer"),
    category="Other",
)
def stuck_terminating_finalizer():
    """A catalog pod was deleted two hours ago; the finalizer of a connection-draining controller that was
    uninstalled since still holds it."""
    b = cluster("stuck-terminating-finalizer", seed=909, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/cart", at="5h"), d.recovered_node(b, "worker-3")]
    started = b.at("3d")
    _owned_pod(
        b, "shop/catalog", "x9k2p",
        metadata={"name": "catalog-old-finalizer", "deletionTimestamp": rfc3339(b.at("2h")),
                  "deletionGracePeriodSeconds": 30, "finalizers": ["drain.example.com/connections"]},
        spec={"nodeName": "worker-2"}, phase="Running", hostIP=b.nodes["worker-2"].ip, podIP="10.244.1.77",
        startTime=rfc3339(started),
        conditions=[{"type": "Ready", "status": "False", "lastTransitionTime": rfc3339(b.at("2h"))}],
        containerStatuses=[{"name": "catalog", "image": f"{REGISTRY}/shop/catalog:1.9.2", "ready": False,
                            "restartCount": 0, "started": False,
                            "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                     "startedAt": rfc3339(started),
                                                     "finishedAt": rfc3339(b.at("119m"))}}}],
    )  # fmt: skip
    return b, noise


@scenario(
    "node-gone-pods-unknown",
    "two cart pods show Unknown and never come back",
    culprit=("Node", None, "worker-4"),
    category="NodeNotReady",
)
def node_gone_pods_unknown():
    """worker-4 was terminated by the cloud provider and its Node object deleted; its pods are still bound
    to it, marked NodeLost by the node controller, and read Unknown."""
    b = cluster("node-gone-pods-unknown", seed=910, packs=("shop", "data"))
    noise = [d.old_restart(b, "data/redis", at="9h")]
    lost = b.at("40m")
    for suffix in ("p2m4x", "z8q1c"):
        _owned_pod(
            b, "shop/cart", suffix,
            metadata={"deletionTimestamp": rfc3339(lost + timedelta(minutes=5)),
                      "deletionGracePeriodSeconds": 30},
            spec={"nodeName": "worker-4"}, phase="Running", reason="NodeLost",
            message=f"Node worker-4 which was running pod cart-{suffix} is unresponsive",
            hostIP="10.0.1.40", podIP=f"10.244.3.{20 + len(suffix)}", startTime=rfc3339(b.at("6d")),
            conditions=[{"type": "Ready", "status": "False", "lastTransitionTime": rfc3339(lost)}],
            containerStatuses=[{"name": "cart", "image": f"{REGISTRY}/shop/cart:4.2.0", "ready": True,
                                "restartCount": 0, "started": True,
                                "state": {"running": {"startedAt": rfc3339(b.at("6d"))}}}],
        )  # fmt: skip
    _events_gone(b)
    return b, noise


# ---- healthy, native sidecars ---------------------------------------------------------------------------


def _native_sidecar(pod: dict[str, Any]) -> None:
    """Give a running pod an Envoy native sidecar (restartPolicy Always init container, started, ready)."""
    started = ((pod.get("status") or {}).get("startTime")) or pod["metadata"]["creationTimestamp"]
    pod["spec"]["initContainers"] = [{
        "name": "envoy", "image": "docker.io/envoyproxy/envoy:v1.31.2", "restartPolicy": "Always",
        "ports": [{"containerPort": 15001, "name": "proxy", "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 15021}, "periodSeconds": 10},
    }]  # fmt: skip
    pod["status"]["initContainerStatuses"] = [{
        "name": "envoy", "image": "docker.io/envoyproxy/envoy:v1.31.2", "imageID": "", "ready": True,
        "restartCount": 0, "started": True, "state": {"running": {"startedAt": started}}, "lastState": {},
    }]  # fmt: skip


@scenario(
    "native-sidecar-healthy",
    "is anything wrong with the shop pods? they all have the new envoy sidecar",
    healthy=True,
)
def native_sidecar_healthy():
    """Every shop pod runs a native Envoy sidecar (Kubernetes 1.29+): 2/2 Running, nothing is wrong."""
    b = cluster("native-sidecar-healthy", seed=911, packs=("shop", "data"))
    noise = [d.old_restart(b, "data/redis", at="10h")]
    for name in ("frontend", "cart", "checkout", "catalog"):
        after_write(
            b, lambda _b, out, name=name: patch_objects(out, "Pod", "shop", f"{name}-", _native_sidecar)
        )
    return b, [*noise, Distractor(("Deployment", "shop", "frontend"), "runs a native sidecar", "AppCrash")]


# ---- bare pods and plain logs ---------------------------------------------------------------------------


@scenario(
    "bare-pod-named",
    "why does toolbox keep restarting?",
    culprit=("Pod", "shop", "toolbox"),
    category="AppCrash",
)
def bare_pod_named():
    """Someone's bare debugging Pod toolbox crashes on a missing variable; another crash elsewhere is not
    what was asked."""
    b = cluster("bare-pod-named", seed=912, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/cart", at="4h")]
    toolbox = b.pod("shop", "toolbox", f"{REGISTRY}/tools/toolbox:0.3", created="2h", node="worker-1")
    toolbox.crash_loop(
        "90m", exit_code=1, run_seconds=2,
        previous_log=["toolbox 0.3 starting", "fatal: TOOLBOX_TARGET is not set"],
    )  # fmt: skip
    redis = b.workload("data/redis").pods[0]
    redis.crash_loop(
        "30m", exit_code=1, run_seconds=4, previous_log=["# Fatal error, can't open config file"]
    )
    return b, [*noise, Distractor(("Deployment", "data", "redis"), "crashes too, but was not asked about")]


@scenario(
    "crash-logs-without-timestamps",
    "checkout is down after the config change, pods keep crashing",
    culprit=("Deployment", "shop", "checkout"),
    category="AppCrash",
)
def crash_logs_without_timestamps():
    """checkout crashes on start with a missing variable; the logs are plain lines with no timestamps (as a
    support bundle stores them) and the Events have expired."""
    b = cluster("crash-logs-without-timestamps", seed=913, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/catalog", at="6h")]
    dep = b.workload("shop/checkout")
    for pod in dep.pods:
        pod.crash_loop(
            "25m", exit_code=1, run_seconds=3,
            previous_log=["checkout 2.3.0 starting",
                          "panic: required environment variable PAYMENT_URL is not set"],
        )  # fmt: skip
    after_write(b, lambda _b, out: strip_log_timestamps(Path(out), "shop", "checkout-"))
    _events_gone(b)
    return b, noise


# ---- metrics -------------------------------------------------------------------------------------------


@scenario(
    "latency-regression-events-gone",
    "cart feels slower since this morning's release, nothing errors",
    culprit=("Deployment", "shop", "cart"),
    category="PerformanceRegression",
    metrics=("app",),
)
def latency_regression_events_gone():
    """cart 4.3.0 (rolled out 40 minutes ago) adds a synchronous call: p95 0.12 s -> 0.34 s, no errors,
    no throttling; the Events of the rollout have expired."""
    b = cluster("latency-regression-events-gone", seed=914, packs=("shop", "data"), step=60)
    noise = [d.finished_rollout(b, "shop/catalog", f"{REGISTRY}/shop/catalog:1.9.3", at="2h")]
    cart = b.workload("shop/cart")
    cart.rollout("40m", image=f"{REGISTRY}/shop/cart:4.3.0")
    b.http(cart, rps=20, latency=0.12, changes=[("39m", {"latency": 0.34})])
    b.http(b.workload("shop/frontend"), rps=40, latency=0.05)
    _events_gone(b)
    return b, noise
