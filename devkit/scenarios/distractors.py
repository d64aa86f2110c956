"""Plausible red herrings: things a tired operator would notice first that are not the problem.

Each helper changes the cluster and returns the Distractor record for the ground truth.
"""

from __future__ import annotations

from devkit.scenarios.catalog import Distractor
from devkit.synth import ClusterBuilder


def old_restart(b: ClusterBuilder, workload: str, *, at: str = "5h", exit_code: int = 1) -> Distractor:
    """One pod of the workload exited once, hours ago, and has run fine since (restartCount 1)."""
    dep = b.workload(workload)
    dep.pods[0].restarted(at, reason="Error", exit_code=exit_code)
    return Distractor((dep.kind, dep.namespace, dep.name), f"one restart {at} ago, running since", "AppCrash")


def old_oom(b: ClusterBuilder, workload: str, *, at: tuple[str, ...] = ("100m",)) -> Distractor:
    """One pod was OOMKilled long ago (a batch import) and has stayed well under its limit since."""
    dep = b.workload(workload)
    dep.pods[0].oom_killed(at=list(at), ramp="10m")
    return Distractor(
        (dep.kind, dep.namespace, dep.name), f"OOMKilled {', '.join(at)} ago, healthy since", "OOMKilled"
    )


def resolved_probe_warning(b: ClusterBuilder, workload: str) -> Distractor:
    """Readiness probe failures during a brief blip about 50 minutes ago; Ready ever since."""
    dep = b.workload(workload)
    pod = dep.pods[-1]
    c = pod.container()
    b.event(
        pod,
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "Warning",
        4,
        "58m",
        "52m",
        field_path=f"spec.containers{{{c.name}}}",
    )
    return Distractor(
        (dep.kind, dep.namespace, dep.name), "readiness failures ~55m ago, Ready since", "ProbeFailure"
    )


def search_path_nxdomain(b: ClusterBuilder, workload: str, name: str, ips: list[str]) -> Distractor:
    """With ndots:5 a lookup of a full service name first tries the search domains: NXDOMAIN answers that
    are harmless because the name itself resolves."""
    dep = b.workload(workload)
    fqdn = name.rstrip(".")
    b.dns_query(workload, f"{fqdn}.{dep.namespace}.svc.cluster.local", every="4m", rcode=3)
    b.dns_query(workload, fqdn, every="4m", ips=ips)
    return Distractor(
        (dep.kind, dep.namespace, dep.name), f"search-path NXDOMAIN for {fqdn}, which resolves", "DNSFailure"
    )


def old_failed_scheduling(b: ClusterBuilder, workload: str) -> Distractor:
    """A scale-up 50 minutes ago waited for the cluster autoscaler; every pod has been running since."""
    dep = b.workload(workload)
    pod = dep.pods[-1]
    b.event(
        pod,
        "FailedScheduling",
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod.",
        "Warning",
        2,
        "57m",
        "55m",
        component="default-scheduler",
    )
    return Distractor(
        (dep.kind, dep.namespace, dep.name),
        "FailedScheduling 55m ago, scheduled since",
        "InsufficientResources",
    )


def recovered_node(b: ClusterBuilder, node: str = "worker-3") -> Distractor:
    """The node's kubelet restarted 50 minutes ago (NotReady for a minute); Ready since."""
    model = b.nodes[node]
    model.conditions["Ready"] = ("True", "KubeletReady", "kubelet is posting ready status", b.at("49m"))
    b.event(
        model, "NodeNotReady", f"Node {node} status is now: NodeNotReady", "Normal", 1, "50m", "50m",
        component="node-controller",
    )  # fmt: skip
    b.event(model, "NodeReady", f"Node {node} status is now: NodeReady", "Normal", 1, "49m", "49m")
    return Distractor(("Node", None, node), "NotReady for a minute 50m ago, Ready since", "NodeNotReady")


def finished_rollout(
    b: ClusterBuilder, workload: str, image: str, *, at: str = "25m", blame: str = "PerformanceRegression"
) -> Distractor:
    """A routine release that went fine: new ReplicaSet, old pods gone, everything Ready. ``blame`` is how
    it could be wrongly blamed (a slowdown, or a crash of the new version)."""
    dep = b.workload(workload)
    dep.rollout(at, image=image)
    return Distractor((dep.kind, dep.namespace, dep.name), f"rolled out {at} ago, healthy", blame)
