"""On a big cluster a namespaced question reads only that namespace: every request for a namespaced kind
is made in a namespace or with a selector (the snapshot server's request log is the proof), and the bytes
it costs are counted there. The cluster is generated (devkit/big_cluster.py) just past the size where the
diagnostician stops reading everything."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from app.diagnose.gather import SMALL_CLUSTER_PODS
from app.engine import open_session
from devkit.big_cluster import Generator
from devkit.scenarios.judge import ask_with_ledger
from tools.contracts.settings import Settings
from tools.snapshot.kinds import BUILTIN_KINDS
from tools.snapshot.server import RequestRecord, SnapshotServer, start_snapshot_server

NAMESPACED_PLURALS = {info.plural for info in BUILTIN_KINDS if info.namespaced}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotServer]:
    root = tmp_path_factory.mktemp("big") / "synthetic"
    Generator(SMALL_CLUSTER_PODS + 200, 8).write(root)
    with start_snapshot_server(root, cache=False) as running:
        yield running


def _asked(server: SnapshotServer, question: str) -> list[RequestRecord]:
    session = open_session(Settings.load(llm="none"), kubeconfig=str(server.kubeconfig_path))
    try:
        server.requests.clear()
        answer = ask_with_ledger(session, question)
        assert answer.diagnosis.findings, answer.diagnosis.summary
        return list(server.requests)
    finally:
        session.close()


def _unscoped(requests: list[RequestRecord]) -> list[str]:
    """Lists of a namespaced kind across all namespaces without a selector (one-pod size probes aside)."""
    found = []
    for request in requests:
        parts = [p for p in request.path.split("/") if p]
        rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        if len(rest) != 1 or rest[0] not in NAMESPACED_PLURALS:
            continue  # discovery, a cluster-scoped kind, a namespaced path, or one named object
        if query.get("labelSelector") or query.get("fieldSelector") or query.get("limit") == "1":
            continue
        found.append(f"{request.path}?{request.query}")
    return found


@pytest.mark.parametrize(
    "question",
    ["Something in the ns-004 namespace keeps failing - what is wrong?", "what's wrong in namespace ns-004?"],
)
def test_a_namespaced_question_sends_only_namespaced_or_selector_scoped_requests(server, question):
    requests = _asked(server, question)
    assert _unscoped(requests) == []
    namespaces = {r.path.split("/namespaces/")[1].split("/")[0] for r in requests if "/namespaces/" in r.path}
    assert namespaces <= {"ns-004", "kube-system"}, namespaces
    probes = [r for r in requests if parse_qs(r.query).get("limit") == ["1"]]
    assert len(probes) <= 1 and all(r.bytes < 10_000 for r in probes)  # is the cluster big? one pod says
    assert sum(r.bytes for r in requests) > 0  # the log counts what the answer cost to send


def test_a_whole_cluster_review_counts_instead_of_reading_every_pod(server):
    requests = _asked(server, "health check of the whole cluster please")
    pod_lists = [r for r in requests if r.path == "/api/v1/pods" and parse_qs(r.query).get("limit") != ["1"]]
    scoped = [parse_qs(r.query).get("fieldSelector", [""])[0] for r in pod_lists]
    assert scoped and all(scoped), scoped  # only the pods that are not running, or those on one node


def test_a_question_naming_an_object_reads_the_whole_inventory(server):
    """Names found in one namespace only count wherever they are, so routing needs every name."""
    requests = _asked(server, "svc-3 in the ns-004 namespace keeps restarting, why?")
    assert any(r.path == "/apis/apps/v1/deployments" for r in requests)


def test_a_kind_the_cluster_has_none_of_is_asked_once_not_in_every_namespace(server):
    """Reading many namespaces, a one-item page across all namespaces tells that no namespace has a
    HorizontalPodAutoscaler; kinds that exist (ReplicaSets) are still read namespace by namespace."""
    requests = _asked(server, "health check of the whole cluster please")
    read_in = {}
    for request in requests:
        if "/namespaces/" in request.path:
            namespace, _, rest = request.path.split("/namespaces/")[1].partition("/")
            read_in.setdefault(rest, set()).add(namespace)
    assert len(read_in.get("replicasets", ())) >= 3, read_in
    assert "horizontalpodautoscalers" not in read_in, read_in["horizontalpodautoscalers"]
    probes = [
        r
        for r in requests
        if r.path.endswith("/horizontalpodautoscalers") and parse_qs(r.query).get("limit") == ["1"]
    ]
    assert len(probes) == 1
