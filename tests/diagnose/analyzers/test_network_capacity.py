"""NetworkCapacity: pod IP exhaustion by node, conntrack table full (metric, kernel line, Cilium drops)."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import network_capacity
from tests.diagnose.analyzers.factories import endpoint, event, facts, node, pod, series, tcp_flow
from tools.contracts.diagnosis import Category

SANDBOX = (
    "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "
    '"4f1c2e": plugin type="bridge" failed (add): failed to allocate for range 0: '
    "no IP addresses available in range set: 10.244.3.1-10.244.3.254"
)


def pending(name: str, node_name: str = "worker-3"):
    result = pod(name, labels={"app": "api"}, node=node_name, phase="Pending", ready=False)
    result["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}
    return result


def conntrack(value: float, node_name: str = "worker-1"):
    return {"conntrack_ratio": [series({"node": node_name}, [(m, value) for m in range(30, -1, -1)])]}


def ct_drop(seconds_ago: float):
    flow = tcp_flow(
        endpoint("shop", "frontend-6c8d7f9b4-2xkqp", {"app": "frontend"}),
        endpoint("shop", "api-6d9f-abcde", {"app": "api"}),
        8080,
        seconds_ago,
        drop_reason="CT_MAP_INSERTION_FAILED",
    )
    flow["drop_reason_desc"] = "CT_MAP_INSERTION_FAILED"
    flow["node_name"] = "prod/worker-1"
    return flow


CASES = [
    (
        "pod IPs exhausted on one node",
        facts(
            node("worker-3"),
            pending("api-6d9f-abcde"),
            pending("api-6d9f-fghij"),
            event("Pod", "api-6d9f-abcde", "FailedCreatePodSandBox", SANDBOX, count=14),
            event("Pod", "api-6d9f-fghij", "FailedCreatePodSandBox", SANDBOX, count=9),
        ),
        [(Category.NetworkCapacity, "worker-3")],
    ),
    (
        "conntrack near full by metric",
        facts(node("worker-1"), metrics=conntrack(0.97)),
        [(Category.NetworkCapacity, "worker-1")],
    ),
    (
        "Cilium CT map insertion failures",
        facts(node("worker-1"), flows=[ct_drop(30), ct_drop(20)]),
        [(Category.NetworkCapacity, "worker-1")],
    ),
    (
        "stale: old sandbox failure, pod running now; conntrack normal; old CT drops",
        facts(
            node("worker-3"),
            pod("api-6d9f-abcde", labels={"app": "api"}, node="worker-3"),
            event("Pod", "api-6d9f-abcde", "FailedCreatePodSandBox", SANDBOX, last_minutes_ago=5),
            event("Pod", "api-6d9f-zzzzz", "FailedCreatePodSandBox", SANDBOX, last_minutes_ago=240),
            flows=[ct_drop(7200)],
            metrics=conntrack(0.31),
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_network_capacity(name, given, expected):
    found = network_capacity.analyze(given)
    assert [(c.category, c.resource.name) for c in found] == expected
    for candidate in found:
        assert candidate.resource.kind == "Node" and candidate.cites and candidate.next_steps


def test_ip_exhaustion_lists_stuck_pods_and_range():
    (candidate,) = network_capacity.analyze(CASES[0][1])
    assert {ref.name for ref in candidate.affected} == {"api-6d9f-abcde", "api-6d9f-fghij"}
    assert "10.244.3.1-10.244.3.254" in candidate.explanation
