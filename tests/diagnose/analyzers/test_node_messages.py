"""What a NotReady node's kubelet message and an evicted pod's message say, in the finding's own words
(message forms of kubelets 1.19-1.30)."""

from __future__ import annotations

from app.diagnose.analyzers import nodes
from tests.diagnose.analyzers.factories import evicted_pod, facts, node

PLEG = (
    "container runtime is down,PLEG is not healthy: pleg was last seen active 3m12.481s ago; "
    "threshold is 3m0s"
)


def test_a_pleg_message_names_the_container_runtime_not_the_reason_again():
    [found] = nodes.analyze(
        facts(node("worker-2", ready="False", ready_reason="KubeletNotReady", ready_message=PLEG))
    )
    assert "container runtime is down or stuck (PLEG is not healthy)" in found.title
    assert "reports KubeletNotReady" not in found.title


def test_another_kubelet_message_is_quoted_rather_than_its_reason_repeated():
    message = "node is shutting down"
    [found] = nodes.analyze(
        facts(node("worker-3", ready="False", ready_reason="KubeletNotReady", ready_message=message))
    )
    assert found.title.endswith("the kubelet reports: node is shutting down")


def test_an_eviction_for_memory_says_memory_pressure():
    evicted = evicted_pod(
        "search-5d8f9c7b6-x1", "worker-1",
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 81276Ki.",
    )  # fmt: skip
    [found] = nodes.analyze(facts(node("worker-1"), evicted))
    assert found.title.startswith("Node worker-1 is under memory pressure")
