"""Scenarios about nodes and cluster capacity: NotReady, pressure, pod IPs, drains, autoscaling."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster
from devkit.scenarios.catalog import scenario
from devkit.synth.extras import evicted_pod


@scenario(
    "node-not-ready",
    "a bunch of pods went not ready at the same time about 10 minutes ago",
    culprit=("Node", None, "worker-3"),
    category="NodeNotReady",
)
def node_not_ready():
    """worker-3's kubelet stopped posting status 12 minutes ago; its pods are marked not ready."""
    b = cluster("node-not-ready", seed=401, packs=("shop", "data", "billing"))
    noise = [d.old_restart(b, "billing/invoices", at="6h"), d.resolved_probe_warning(b, "shop/cart")]
    node = b.nodes["worker-3"]
    message = "Kubelet stopped posting node status."
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        node.conditions[kind] = ("Unknown", "NodeStatusUnknown", message, b.at("12m"))
    node.taints = [
        {
            "effect": "NoSchedule",
            "key": "node.kubernetes.io/unreachable",
            "timeAdded": "2026-11-20T09:18:40Z",
        },
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "timeAdded": "2026-11-20T09:18:45Z"},
    ]
    b.event(
        node,
        "NodeNotReady",
        "Node worker-3 status is now: NodeNotReady",
        "Normal",
        1,
        "12m",
        "12m",
        component="node-controller",
    )
    for pod in b.all_pods():
        if pod.node == "worker-3":
            for c in pod.containers:
                c.unready_since = b.at("12m")
            b.event(
                pod,
                "NodeNotReady",
                "Node is not ready",
                "Warning",
                1,
                "12m",
                "12m",
                component="node-controller",
            )
    return b, noise


@scenario(
    "node-disk-pressure",
    "pods keep getting evicted on one of the nodes",
    culprit=("Node", None, "worker-2"),
    category="NodePressure",
)
def node_disk_pressure():
    """worker-2's root disk filled up with container images and logs: DiskPressure, pods evicted."""
    b = cluster("node-disk-pressure", seed=402, packs=("shop", "media"))
    noise = [d.old_oom(b, "shop/cart", at=("100m",)), d.old_restart(b, "media/uploads", at="5h")]
    node = b.nodes["worker-2"]
    node.conditions["DiskPressure"] = (
        "True",
        "KubeletHasDiskPressure",
        "kubelet has disk pressure",
        b.at("28m"),
    )
    node.taints = [
        {
            "effect": "NoSchedule",
            "key": "node.kubernetes.io/disk-pressure",
            "timeAdded": "2026-11-20T09:02:10Z",
        }
    ]
    b.event(
        node,
        "EvictionThresholdMet",
        "Attempting to reclaim ephemeral-storage",
        "Warning",
        6,
        "28m",
        "3m",
        host="worker-2",
    )
    message = (
        "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 8123456Ki. "
        "Container {c} was using 2148Ki, request is 0, has larger consumption of ephemeral-storage. "
    )
    for index, (workload, at) in enumerate((("media/thumbnailer", "24m"), ("shop/catalog", "15m"))):
        dep = b.workload(workload)
        evicted_pod(b, dep, node="worker-2", at=at, message=message.format(c=dep.name), index=index)
    return b, noise


@scenario(
    "pod-ip-exhaustion",
    "new uploads pods are stuck in ContainerCreating after the scale-up",
    culprit=("Node", None, "worker-1"),
    category="NetworkCapacity",
)
def pod_ip_exhaustion():
    """worker-1's /24 pod range is used up (leaked addresses): new pods there cannot get a sandbox IP."""
    b = cluster("pod-ip-exhaustion", seed=403, packs=("shop", "media"))
    noise = [d.old_restart(b, "shop/frontend", at="9h"), d.resolved_probe_warning(b, "media/thumbnailer")]
    dep = b.workload("media/uploads")
    rs = dep.rollout("14m", image=f"{REGISTRY}/media/uploads:0.9.5", complete=False, new_pods=2)
    for pod in rs.pods:
        pod.node = "worker-1"
        b.release_ip(pod)
        for c in pod.containers:
            c.runs = []
        b.event(
            pod,
            "FailedCreatePodSandBox",
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for "
            f'sandbox "{b.ids.hex("sbx/" + pod.name, 64)}": plugin type="cilium-cni" failed (add): unable to '
            "allocate IP via local cilium agent: [POST /ipam][502] postIpamFailure  range is full; "
            "failed to allocate for range 0: no IP addresses available in range set: 10.244.0.1-10.244.0.254",
            "Warning",
            18,
            "14m",
            "25s",
            host="worker-1",
        )
    return b, noise


@scenario(
    "drain-blocked-by-pdb",
    "kubectl drain on the node running postgres has been hanging for half an hour",
    culprit=("PodDisruptionBudget", "data", "postgres"),
    category="DisruptionBudget",
)
def drain_blocked_by_pdb():
    """postgres runs one replica with a PDB minAvailable 1: draining its cordoned node can never evict it."""
    b = cluster("drain-blocked-by-pdb", seed=404, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/checkout", at="7h"), d.recovered_node(b, "worker-3")]
    postgres = b.workload("data/postgres").pods[0]
    drained = b.nodes[postgres.node]
    others = [n for n in b.nodes if n != drained.name]
    for index, pod in enumerate(b.all_pods()):
        if pod.node == drained.name and pod is not postgres and (pod.workload or ("",))[0] != "DaemonSet":
            pod.node = others[index % len(others)]
    drained.unschedulable = True
    drained.taints = [
        {
            "effect": "NoSchedule",
            "key": "node.kubernetes.io/unschedulable",
            "timeAdded": "2026-11-20T08:58:02Z",
        }
    ]
    b.event(
        drained,
        "NodeNotSchedulable",
        f"Node {drained.name} status is now: NodeNotSchedulable",
        "Normal",
        1,
        "32m",
        "32m",
    )
    b.pdb("data", "postgres", {"app": "postgres"}, min_available=1)
    b.pdb("shop", "frontend", {"app": "frontend"}, min_available=1)
    return b, noise


@scenario(
    "hpa-at-max",
    "search api latency is awful during the sale, isn't it supposed to autoscale??",
    culprit=("HorizontalPodAutoscaler", "search", "search-api"),
    category="AutoscalingLimit",
)
def hpa_at_max():
    """search-api has scaled to its HPA maximum of 6 and still runs at 190% of its CPU target."""
    b = cluster("hpa-at-max", seed=405, packs=("shop", "data"), nodes=4)
    noise = [d.old_failed_scheduling(b, "shop/frontend"), d.old_oom(b, "shop/catalog", at=("110m",))]
    api = b.deployment(
        "search",
        "search-api",
        f"{REGISTRY}/search/search-api:3.2.0",
        replicas=6,
        port=8080,
        cpu="500m",
        memory="512Mi",
        memory_limit="1Gi",
        created="90d",
        rolled_out="6d",
    )
    api.usage(cpu=0.95, memory="400Mi")
    b.service("search", "search-api", port=80, target_port="http")
    b.hpa(api, min_replicas=2, max_replicas=6, cpu_target=70, current_cpu=190)
    b.hpa(b.workload("shop/frontend"), min_replicas=2, max_replicas=8, cpu_target=70, current_cpu=38)
    return b, noise
