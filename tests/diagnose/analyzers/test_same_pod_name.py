"""A pod is known by its namespace and name: the same manifests applied to two namespaces give their pods the
same names (a StatefulSet's db-0, a Deployment rendered from one template), and a pod in trouble in one
namespace must not make its healthy namesake in another a finding too."""

from __future__ import annotations

from typing import Any

import pytest

from app.diagnose.analyzers import crash, image_pull, missing_config, oom, scheduling, terminating
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset, ts
from tests.diagnose.analyzers.workload_factories import (
    crashloop_status,
    culprits,
    running_status,
    waiting_status,
    worker_node,
    workload_pod,
)

RS = "checkout-7d9f8c6b5"
POD = f"{RS}-x2lqp"
CPU = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption."


def _crashing() -> dict[str, Any]:
    return workload_pod(POD, owner_rs=RS, statuses=[crashloop_status(pod_name=POD)])


def _pulling() -> dict[str, Any]:
    message = 'Back-off pulling image "registry.example.com/shop/app:9.9.9"'
    return workload_pod(POD, owner_rs=RS, statuses=[waiting_status("app", "ImagePullBackOff", message)])


def _oom_killed() -> dict[str, Any]:
    status = crashloop_status(reason="OOMKilled", exit_code=137, pod_name=POD)
    return workload_pod(POD, owner_rs=RS, statuses=[status])


def _config_missing() -> dict[str, Any]:
    status = waiting_status("app", "CreateContainerConfigError", 'secret "checkout-db" not found')
    return workload_pod(POD, owner_rs=RS, phase="Pending", statuses=[status])


def _pending() -> dict[str, Any]:
    containers = [{"name": "app", "image": "x", "resources": {"requests": {"cpu": "6"}}}]
    return workload_pod(POD, owner_rs=RS, phase="Pending", node=None, containers=containers)


def _stuck_terminating() -> dict[str, Any]:
    obj = workload_pod(POD, owner_rs=RS, statuses=[running_status()], ready=True)
    obj["metadata"].update(deletionTimestamp=ts(120), finalizers=["drain.example.com/connections"])
    return obj


@pytest.mark.parametrize(
    ("analyzer", "troubled", "events"),
    [
        (crash, _crashing, []),
        (image_pull, _pulling, []),
        (oom, _oom_killed, []),
        (missing_config, _config_missing, []),
        (scheduling, _pending, [event("Pod", POD, "FailedScheduling", CPU)]),
        (terminating, _stuck_terminating, []),
    ],
    ids=lambda value: getattr(value, "__name__", "").rsplit(".", 1)[-1] or None,
)
def test_a_healthy_namesake_in_another_namespace_is_not_a_finding(analyzer, troubled, events) -> None:
    twin = workload_pod(POD, ns="staging", owner_rs=RS, statuses=[running_status()], ready=True)
    given = facts(
        deployment("checkout", available=0),
        replicaset("checkout", "7d9f8c6b5"),
        deployment("checkout", ns="staging"),
        replicaset("checkout", "7d9f8c6b5", ns="staging"),
        troubled(),
        twin,
        worker_node("worker-1"),
        worker_node("worker-2"),
        worker_node("worker-3"),
        events=events,
    )
    found = analyzer.analyze(given)
    assert {(kind, ns, name) for _, kind, ns, name in culprits(found)} <= {
        ("Deployment", "shop", "checkout"),
        ("Pod", "shop", POD),
    }, culprits(found)
    assert found, "the troubled pod in shop is a finding"
