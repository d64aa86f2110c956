"""DisruptionBudget analyzer: budgets blocking a drain, budgets that can never allow an eviction; budgets
at 0 because pods are unhealthy, and roomy budgets, produce nothing."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import disruption_budget
from tests.diagnose.analyzers.factories import event, facts
from tests.diagnose.analyzers.workload_factories import (
    culprits,
    pdb,
    running_status,
    worker_node,
    workload_pod,
)


def zk(name, node):
    return workload_pod(
        name, ns="data", labels={"app": "zookeeper"}, ready=True, statuses=[running_status()], node=node
    )


PODS = [zk("zookeeper-0", "worker-1"), zk("zookeeper-1", "worker-2"), zk("zookeeper-2", "worker-3")]
TIGHT = pdb(
    "zookeeper",
    "data",
    {"app": "zookeeper"},
    min_available=3,
    current_healthy=3,
    desired_healthy=3,
    expected=3,
)

CASES = [
    (
        "drain of a cordoned node blocked",
        facts(
            TIGHT,
            *PODS,
            worker_node("worker-1", unschedulable=True),
            events=[
                event(
                    "Pod",
                    "zookeeper-0",
                    "EvictionBlocked",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    ns="data",
                    component="cluster-autoscaler",
                )
            ],
        ),
        [("DisruptionBudget", "PodDisruptionBudget", "data", "zookeeper")],
    ),
    (
        "minAvailable equals replicas: warning before any drain",
        facts(TIGHT, *PODS),
        [("DisruptionBudget", "PodDisruptionBudget", "data", "zookeeper")],
    ),
    (
        "at 0 only because a pod is unhealthy: symptom, not culprit",
        facts(
            pdb(
                "zookeeper",
                "data",
                {"app": "zookeeper"},
                max_unavailable=1,
                current_healthy=2,
                desired_healthy=2,
                expected=3,
            ),
            *PODS,
        ),
        [],
    ),
    (
        "room for one disruption",
        facts(
            pdb(
                "zookeeper",
                "data",
                {"app": "zookeeper"},
                max_unavailable=1,
                current_healthy=3,
                desired_healthy=2,
                expected=3,
                allowed=1,
            ),
            *PODS,
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_disruption_budget(name, given, expected):
    assert culprits(disruption_budget.analyze(given)) == expected


def test_blocked_drain_outranks_the_warning():
    (blocked,) = disruption_budget.analyze(CASES[0][1])
    (warning,) = disruption_budget.analyze(CASES[1][1])
    assert blocked.severity == 2 and blocked.confidence > warning.confidence and warning.severity == 1
    assert "worker-1" in blocked.explanation
