"""A whole-cluster review reads the most troubled namespaces until their pods reach a budget: its cost
follows the pods it reads, not the number of namespaces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.diagnose import gather
from app.diagnose.gather import _expected_pods, _within_pods
from app.engine import open_session
from devkit.big_cluster import Generator
from devkit.scenarios.judge import ask_with_ledger
from tests.diagnose.analyzers.factories import deployment, facts
from tools.contracts.settings import Settings
from tools.snapshot.server import SnapshotServer, start_snapshot_server


def test_expected_pods_come_from_the_workloads_replicas() -> None:
    daemon = {
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "ops"},
        "spec": {},
        "status": {"desiredNumberScheduled": 40, "numberReady": 40},
    }
    given = facts(deployment("cart", replicas=3), deployment("web", ns="edge", replicas=5), daemon)
    assert _expected_pods(given) == {"shop": 3, "edge": 5, "ops": 40}


@pytest.mark.parametrize(
    ("pods", "budget", "read"),
    [
        ({"a": 400, "b": 400, "c": 400}, 1000, 3),  # a and b fit, then kube-system
        ({"a": 400, "b": 400, "c": 400}, 5000, 4),  # all three and kube-system
        ({"a": 9000, "b": 10}, 1000, 2),  # the most troubled is read even when it alone is over
        ({}, 1000, 4),  # nothing known of the pods: no cut
    ],
)
def test_the_most_troubled_namespaces_are_read_up_to_the_budget(pods, budget, read) -> None:
    assert _within_pods(["a", "b", "c", "kube-system"], pods, budget) == read


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotServer]:
    root = tmp_path_factory.mktemp("budget") / "synthetic"
    Generator(gather.SMALL_CLUSTER_PODS + 200, 8).write(root)
    with start_snapshot_server(root, cache=False) as running:
        yield running


def test_a_review_over_the_budget_reads_fewer_namespaces_and_says_so(server, monkeypatch) -> None:
    monkeypatch.setattr(gather, "REVIEW_PODS", 1000)
    session = open_session(Settings.load(llm="none"), kubeconfig=str(server.kubeconfig_path))
    try:
        server.requests.clear()
        answer = ask_with_ledger(session, "health check of the whole cluster please")
    finally:
        session.close()
    pod_lists = {
        r.path.split("/namespaces/")[1].split("/")[0]
        for r in server.requests
        if "/namespaces/" in r.path and r.path.endswith("/pods")
    }
    # 3,200 pods over 8 namespaces: about 400 each, so two fit in 1,000, and kube-system comes along
    assert 2 <= len(pod_lists - {"kube-system"}) <= 3 and "kube-system" in pod_lists, pod_lists
    assert "most troubled" in answer.diagnosis.summary and answer.diagnosis.findings
