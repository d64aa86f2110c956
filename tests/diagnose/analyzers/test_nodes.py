"""NodeNotReady and NodePressure: current conditions, taints, evictions and node metrics; history ignored."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import nodes
from tests.diagnose.analyzers.factories import event, evicted_pod, facts, node, pod, series
from tools.contracts.diagnosis import Category

UNREACHABLE = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
CNI_DOWN = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)
DISK_EVICTION = (
    "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 8123456Ki. "
    "Container app was using 12Gi, which exceeds its request of 0."
)
RUNNING_ON_2 = pod("checkout-7d9f8c6b5-x2lqp", labels={"app": "checkout"}, node="worker-2")

CASES = [
    (
        "kubelet stopped posting status",
        facts(
            node("worker-1"),
            node(
                "worker-2",
                "Unknown",
                "NodeStatusUnknown",
                "Kubelet stopped posting node status.",
                taints=UNREACHABLE,
                transition_minutes_ago=12,
            ),
            RUNNING_ON_2,
        ),
        [(Category.NodeNotReady, "worker-2")],
    ),
    (
        "CNI not initialized",
        facts(node("worker-2", "False", "KubeletNotReady", CNI_DOWN, transition_minutes_ago=8)),
        [(Category.NodeNotReady, "worker-2")],
    ),
    (
        "disk pressure with recent evictions",
        facts(
            node("worker-3", pressure={"DiskPressure": "KubeletHasDiskPressure"}),
            evicted_pod("report-7f8d9c-abcde", "worker-3", DISK_EVICTION),
            event(
                "Node", "worker-3", "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", ns=None
            ),
        ),
        [(Category.NodePressure, "worker-3")],
    ),
    (
        "memory almost exhausted by node-exporter, no condition yet",
        facts(
            node("worker-1"),
            metrics={
                "node_memory_available_ratio": [
                    series({"node": "worker-1"}, [(m, 0.06) for m in range(20, -1, -1)])
                ]
            },
        ),
        [(Category.NodePressure, "worker-1")],
    ),
    (
        "stale: node Ready again after an old NotReady event, old eviction",
        facts(
            node("worker-2", transition_minutes_ago=180),
            event(
                "Node",
                "worker-2",
                "NodeNotReady",
                "Node worker-2 status is now: NodeNotReady",
                ns=None,
                last_minutes_ago=200,
            ),
            evicted_pod("report-7f8d9c-abcde", "worker-2", DISK_EVICTION, minutes_ago=300),
            metrics={
                "node_memory_available_ratio": [
                    series({"node": "worker-2"}, [(m, 0.55) for m in range(20, -1, -1)])
                ]
            },
        ),
        [],
    ),
    ("healthy nodes", facts(node("worker-1"), node("worker-2"), RUNNING_ON_2), []),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_nodes(name, given, expected):
    found = nodes.analyze(given)
    assert [(c.category, c.resource.name) for c in found] == expected
    for candidate in found:
        assert candidate.resource.kind == "Node" and candidate.cites and candidate.next_steps


def test_not_ready_names_cause_and_affected_pods():
    (candidate,) = nodes.analyze(CASES[0][1])
    assert "stopped posting" in candidate.title and candidate.severity == 3
    assert [ref.name for ref in candidate.affected] == ["checkout-7d9f8c6b5-x2lqp"]
    (cni,) = nodes.analyze(CASES[1][1])
    assert "CNI" in cni.title


def test_pressure_cites_eviction_message():
    (candidate,) = nodes.analyze(CASES[2][1])
    assert any(
        c.needle.startswith("The node was low on resource: ephemeral-storage") for c in candidate.cites
    )
    assert "disk" in candidate.title
