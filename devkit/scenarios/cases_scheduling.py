"""Scenarios where pods cannot be created, scheduled or given their storage."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster
from devkit.scenarios.catalog import scenario
from devkit.synth import mount, pvc_volume
from devkit.synth.extras import bound_pvc, failed_create, no_pods_created, pending_pvc

NODES_FULL_MEMORY = (
    "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
    "3 Insufficient memory. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
    "3 No preemption victims found for incoming pod."
)


@scenario(
    "pending-insufficient-memory",
    "reports pods pending for 20 min, nothing is starting",
    culprit=("Deployment", "analytics", "reports"),
    category="InsufficientResources",
)
def pending_insufficient_memory():
    """The new reports Deployment asks for 6Gi per pod; no worker has that much memory free."""
    b = cluster(
        "pending-insufficient-memory", seed=201, packs=("shop", "data"), control_plane=True, node_memory="8Gi"
    )
    noise = [d.old_failed_scheduling(b, "shop/catalog"), d.old_restart(b, "data/redis", at="11h")]
    dep = b.deployment(
        "analytics",
        "reports",
        f"{REGISTRY}/analytics/reports:1.0.0",
        replicas=2,
        port=8080,
        cpu="500m",
        memory="6Gi",
        memory_limit="6Gi",
        created="21m",
        rolled_out="21m",
        revision=1,
    )
    for pod in dep.pods:
        pod.cannot_schedule("21m", NODES_FULL_MEMORY)
    return b, noise


@scenario(
    "pending-node-selector",
    "why are the gpu-inference pods stuck Pending?",
    culprit=("Deployment", "ml", "gpu-inference"),
    category="SchedulingConstraint",
)
def pending_node_selector():
    """gpu-inference requires nodes labelled accelerator=nvidia-a10g; the GPU node pool was scaled away."""
    b = cluster("pending-node-selector", seed=202, packs=("shop", "billing"), control_plane=True)
    noise = [d.old_failed_scheduling(b, "billing/invoices"), d.recovered_node(b, "worker-2")]
    dep = b.deployment(
        "ml",
        "gpu-inference",
        f"{REGISTRY}/ml/gpu-inference:0.4.2",
        replicas=1,
        port=8000,
        node_selector={"accelerator": "nvidia-a10g"},
        created="3d",
        rolled_out="40m",
        revision=2,
    )
    for pod in dep.pods:
        pod.cannot_schedule(
            "40m",
            "0/4 nodes are available: 1 node(s) had untolerated taint "
            "{node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
        )
    return b, noise


@scenario(
    "quota-blocks-pods",
    "scaled up the billing worker but no new pods show up",
    culprit=("ResourceQuota", "billing", "billing-quota"),
    category="QuotaExceeded",
    chain=[
        "Deployment/billing/billing-worker",
        "ReplicaSet FailedCreate",
        "ResourceQuota/billing/billing-quota",
    ],
)
def quota_blocks_pods():
    """A new billing-worker release needs 1Gi limits per pod; quota billing-quota has no room left."""
    b = cluster("quota-blocks-pods", seed=203, packs=("shop", "billing"))
    noise = [d.old_restart(b, "billing/invoices", at="3h"), d.resolved_probe_warning(b, "shop/cart")]
    dep = b.workload("billing/billing-worker")
    b.resource_quota(
        "billing",
        "billing-quota",
        {"limits.memory": "2Gi", "requests.cpu": "2", "pods": "10"},
        used={"limits.memory": "1536Mi", "requests.cpu": "400m", "pods": "3"},
    )
    rs = dep.rollout("17m", image=f"{REGISTRY}/billing/billing-worker:5.2.0", complete=False)
    no_pods_created(rs)
    failed_create(
        b,
        rs,
        f'Error creating: pods "{rs.name}-x7k2p" is forbidden: exceeded quota: billing-quota, requested: '
        "limits.memory=1Gi, used: limits.memory=1536Mi, limited: limits.memory=2Gi",
        since="17m",
    )
    return b, noise


@scenario(
    "admission-webhook-denied",
    "ledger deployment shows 0/2 ready and no pods at all, help",
    culprit=("Deployment", "billing", "ledger"),
    category="Other",
)
def admission_webhook_denied():
    """Gatekeeper denies the new ledger pods: its image does not come from the approved registry."""
    b = cluster("admission-webhook-denied", seed=204, packs=("shop", "billing"))
    noise = [d.old_oom(b, "billing/invoices", at=("115m",))]
    dep = b.deployment(
        "billing",
        "ledger",
        "docker.io/acme/ledger:2.0.0",
        replicas=2,
        port=8080,
        created="25m",
        rolled_out="25m",
        revision=1,
    )
    rs = no_pods_created(dep.current)
    failed_create(
        b,
        rs,
        'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: '
        "[allowed-registries] container <ledger> has an invalid image repo <docker.io/acme/ledger:2.0.0>, "
        'allowed repos are ["registry.example.com/"]',
        since="25m",
    )
    return b, noise


@scenario(
    "pvc-missing-storageclass",
    "new elasticsearch pod stuck pending since this morning",
    culprit=("PersistentVolumeClaim", "search", "es-data"),
    category="StorageProvisioning",
)
def pvc_missing_storageclass():
    """The elasticsearch Deployment's claim asks for StorageClass fast-ssd, which this cluster lacks."""
    b = cluster("pvc-missing-storageclass", seed=205, packs=("shop", "data"))
    noise = [d.old_failed_scheduling(b, "shop/frontend"), d.old_restart(b, "shop/checkout", at="10h")]
    dep = b.deployment(
        "search",
        "elasticsearch",
        "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
        replicas=1,
        port=9200,
        cpu="1",
        memory="2Gi",
        memory_limit="2Gi",
        volumes=[pvc_volume("data", "es-data")],
        volume_mounts=[mount("data", "/usr/share/elasticsearch/data")],
        created="50m",
        rolled_out="50m",
        revision=1,
    )
    pending_pvc(b, "search", "es-data", size="50Gi", storage_class="fast-ssd", since="50m")
    for pod in dep.pods:
        pod.cannot_schedule(
            "50m",
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        )
    return b, noise


@scenario(
    "multi-attach-rollout",
    "uploads rollout stuck at 'ContainerCreating' for 15 minutes",
    culprit=("PersistentVolumeClaim", "media", "uploads-data"),
    category="VolumeAttach",
)
def multi_attach_rollout():
    """uploads uses a ReadWriteOnce volume with the RollingUpdate strategy; the new pod landed on another
    node and cannot attach the volume the old pod still holds."""
    b = cluster("multi-attach-rollout", seed=206, packs=("shop", "data"))
    noise = [d.old_restart(b, "data/redis", at="5h"), d.resolved_probe_warning(b, "shop/checkout")]
    bound_pvc(b, "media", "uploads-data", node="worker-1", size="100Gi")
    dep = b.deployment(
        "media",
        "uploads",
        f"{REGISTRY}/media/uploads:0.9.4",
        replicas=1,
        port=8080,
        volumes=[pvc_volume("data", "uploads-data")],
        volume_mounts=[mount("data", "/var/lib/uploads")],
        nodes=["worker-1"],
        created="40d",
        rolled_out="10d",
    )
    b.service("media", "uploads", port=80, target_port="http")
    old = dep.current
    rs = dep.rollout("16m", image=f"{REGISTRY}/media/uploads:0.9.5", complete=False)
    new = rs.pods[0]
    new.node = "worker-2"
    b.release_ip(new)
    new.container().runs = []
    pv = f"pvc-{b.ids.uid('PersistentVolumeClaim/media/uploads-data')}"
    b.event(
        new,
        "FailedAttachVolume",
        f'Multi-Attach error for volume "{pv}" Volume is already used by pod(s) {old.pods[0].name}',
        "Warning",
        1,
        "16m",
        "16m",
        component="attachdetach-controller",
    )
    b.event(
        new,
        "FailedMount",
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data "
        "kube-api-access-7xw2q]: timed out waiting for the condition",
        "Warning",
        7,
        "14m",
        "1m",
    )
    return b, noise


@scenario(
    "postgres-disk-full",
    "postgres keeps crashing, the whole shop is throwing db errors",
    culprit=("PersistentVolumeClaim", "data", "data-postgres-0"),
    category="VolumeFull",
)
def postgres_disk_full():
    """postgres' 20Gi data volume filled up with WAL; it panics on every start."""
    b = cluster("postgres-disk-full", seed=207, packs=("shop", "data"))
    noise = [d.old_oom(b, "shop/catalog", at=("100m",)), d.old_restart(b, "data/redis", at="9h")]
    pod = b.workload("data/postgres").pods[0]
    pod.crash_loop(
        "19m",
        exit_code=1,
        run_seconds=6,
        previous_log=[
            "LOG:  starting PostgreSQL 16.4 on x86_64-pc-linux-gnu",
            'LOG:  listening on IPv4 address "0.0.0.0", port 5432',
            "LOG:  database system was interrupted; last known up at 2026-11-20 09:10:41 UTC",
            "LOG:  redo starts at 3/9A000028",
            'PANIC:  could not write to file "/var/lib/postgresql/data/pg_wal/xlogtemp.31": '
            "No space left on device",
            "LOG:  startup process (PID 31) was terminated by signal 6: Aborted",
            "LOG:  aborting startup due to startup process failure",
        ],
    )
    return b, noise
