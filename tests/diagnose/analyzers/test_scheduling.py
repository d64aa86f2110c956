"""Scheduling analyzer: resource shortage vs constraints from FailedScheduling; PVC waits and scheduled
pods are not blamed."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import scheduling
from tests.diagnose.analyzers.factories import deployment, event, facts
from tests.diagnose.analyzers.workload_factories import culprits, worker_node, workload_pod

POD = "trainer-6f5d4c3b2-pq7rs"
RS = "trainer-6f5d4c3b2"
CPU = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)
MIXED = (
    "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
    "3 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for "
    "scheduling, 3 No preemption victims found for incoming pod."
)
AFFINITY = (
    "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
    "3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: "
    "4 Preemption is not helpful for scheduling."
)


def pending(**spec):
    containers = [{"name": "app", "image": "x", "resources": {"requests": {"cpu": "6", "memory": "4Gi"}}}]
    return workload_pod(POD, owner_rs=RS, phase="Pending", node=None, containers=containers, **spec)


NODES = [worker_node("worker-1"), worker_node("worker-2"), worker_node("worker-3")]

CASES = [
    (
        "not enough cpu anywhere",
        facts(
            deployment("trainer", available=0),
            pending(),
            *NODES,
            events=[event("Pod", POD, "FailedScheduling", CPU)],
        ),
        [("InsufficientResources", "Deployment", "shop", "trainer")],
    ),
    (
        "gpu shortage behind the control-plane taint noise",
        facts(
            deployment("trainer", available=0),
            pending(),
            events=[event("Pod", POD, "FailedScheduling", MIXED)],
        ),
        [("InsufficientResources", "Deployment", "shop", "trainer")],
    ),
    (
        "node selector no node satisfies",
        facts(
            deployment("trainer", available=0),
            pending(nodeSelector={"disktype": "ssd"}),
            *NODES,
            events=[event("Pod", POD, "FailedScheduling", AFFINITY)],
        ),
        [("SchedulingConstraint", "Deployment", "shop", "trainer")],
    ),
    (
        "unbound PVC is the storage analyzer's",
        facts(
            deployment("trainer", available=0),
            pending(),
            events=[
                event(
                    "Pod",
                    POD,
                    "FailedScheduling",
                    "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: "
                    "0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
                )
            ],
        ),
        [],
    ),
    (
        "scheduled since: old event is history",
        facts(
            deployment("trainer"),
            workload_pod(POD, owner_rs=RS, ready=True),
            events=[event("Pod", POD, "FailedScheduling", CPU, last_minutes_ago=90)],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_scheduling(name, given, expected):
    assert culprits(scheduling.analyze(given)) == expected


def test_parse_and_hints():
    verdict = scheduling.parse_message(MIXED)
    assert verdict.resources == {"nvidia.com/gpu": 3} and verdict.constraints == {}
    (cpu,) = scheduling.analyze(CASES[0][1])
    assert "more cpu than the largest node" in cpu.explanation
    (selector,) = scheduling.analyze(CASES[2][1])
    assert "disktype=ssd" in selector.explanation
    assert scheduling.quantity("500m") == 0.5 and scheduling.quantity("2Gi") == 2 * 2**30
