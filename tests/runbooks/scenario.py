"""A small cluster with four injected problems the demo does not have, one per namespace, for the
runbooks that need them: pods Pending for lack of cpu, a node NotReady, a PVC naming a StorageClass that
does not exist, and a client resolving a misspelt Service name (NXDOMAIN)."""

from __future__ import annotations

from pathlib import Path

from devkit.synth import ClusterBuilder
from devkit.synth.extras import pending_pvc
from devkit.synth.writer import write_snapshot

CAPTURED_AT = "2026-03-01T12:00:00Z"
UNSCHEDULABLE = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, "
    "2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
)


def build() -> ClusterBuilder:
    b = ClusterBuilder("ops-lab", CAPTURED_AT, seed=9, window="30m", hubble_metrics=("dns", "drop"))
    b.node("node-a", cpu="4")
    b.node("node-b", cpu="4")
    b.node(
        "node-c",
        cpu="4",
        conditions={
            "Ready": ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "12m"),
            "MemoryPressure": ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "12m"),
            "DiskPressure": ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "12m"),
            "PIDPressure": ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", "12m"),
        },
        taints=[
            {
                "effect": "NoSchedule",
                "key": "node.kubernetes.io/unreachable",
                "timeAdded": "2026-03-01T11:48:00Z",
            },
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "timeAdded": "2026-03-01T11:48:05Z",
            },
        ],
    )
    b.event(
        ("Node", None, "node-c"),
        "NodeNotReady",
        "Node node-c status is now: NodeNotReady",
        "Normal",
        first="12m",
        component="node-controller",
    )
    b.deployment(
        "kube-system",
        "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        port=53,
        port_name="dns",
        labels={"k8s-app": "kube-dns"},
    )
    b.service(
        "kube-system",
        "kube-dns",
        selector={"k8s-app": "kube-dns"},
        port=53,
        target_port=53,
        port_name="dns",
        protocol="UDP",
        cluster_ip="10.96.0.10",
    )
    # batch: a report job that asks for more cpu than any node has free
    reporter = b.deployment("batch", "reporter", "reg.example.com/batch/reporter:1.4", cpu="6", port=8080)
    for pod in reporter.pods:
        pod.cannot_schedule("25m", UNSCHEDULABLE)
    # data: a claim naming a StorageClass that does not exist
    b.storage_class("gp3", default=True)
    pending_pvc(b, "data", "reports-db", storage_class="fast-ssd", since="40m")
    # web: the frontend asks for 'ordres-api' (the Service is orders-api)
    frontend = b.deployment("web", "frontend", "reg.example.com/web/frontend:3.2", port=8080)
    orders = b.deployment("web", "orders-api", "reg.example.com/web/orders:5.0", port=8080)
    b.service("web", "frontend", port=80)
    b.service("web", "orders-api", port=80)
    b.traffic(frontend, orders, 8080, every="5m")
    b.dns_query(frontend, "ordres-api.web.svc.cluster.local", rcode=3, every="1m", since="20m")
    for pod in frontend.pods:
        pod.log(
            [
                ("19m", 'level=info msg="listening on :8080"'),
                (
                    "10m",
                    'level=error msg="order lookup failed" err="Get \\"http://ordres-api/orders\\": '
                    'dial tcp: lookup ordres-api on 10.96.0.10:53: no such host"',
                ),
                (
                    "2m",
                    'level=error msg="order lookup failed" err="Get \\"http://ordres-api/orders\\": '
                    'dial tcp: lookup ordres-api on 10.96.0.10:53: no such host"',
                ),
            ]
        )
    return b


def write(out: Path) -> Path:
    return write_snapshot(build(), out)
