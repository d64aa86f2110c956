"""Answers from what people attach (`kubectl get ... -o yaml`), where the capture lacks objects the
answer would lean on: the pods name their owner and their node even when neither was captured, and a
workload with no status and no pods is not called healthy."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.engine import ask, open_session
from tools.contracts.settings import Settings
from tools.snapshot.importers import import_input

CAPTURED = "2026-11-20T09:30:00Z"


def _pod(name: str, owner: str, template_hash: str, node: str, ready: bool) -> dict:
    state = {"running": {"startedAt": "2026-11-20T08:00:00Z"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "labels": {"app": owner, "pod-template-hash": template_hash},
            "creationTimestamp": "2026-11-20T08:00:00Z",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{owner}-{template_hash}",
                 "controller": True, "uid": f"uid-{owner}"}
            ],
        },
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": f"example.com/{owner}:1"}]},
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True" if ready else "Unknown",
                 "lastTransitionTime": "2026-11-20T09:00:00Z" if not ready else "2026-11-20T08:01:00Z"}
            ],
            "containerStatuses": [
                {"name": "app", "ready": ready, "restartCount": 0, "state": state, "image": "x"}
            ],
        },
    }  # fmt: skip


def _imported(tmp_path: Path, docs: list[dict]) -> Path:
    tmp_path.mkdir(exist_ok=True)
    source = tmp_path / "capture.yaml"
    source.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    report = import_input(source, tmp_path / "snapshot")
    assert report.objects == len(docs)
    return tmp_path / "snapshot"


def _ask(snapshot: Path, question: str):
    with open_session(Settings.load(llm="none"), snapshot=snapshot) as session:
        return ask(session, question).diagnosis


def test_a_pods_only_capture_answers_about_their_owner_and_a_node_gone_under_them(tmp_path):
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "worker-1", "creationTimestamp": "2026-11-01T00:00:00Z"},
        "status": {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": CAPTURED,
                                   "lastTransitionTime": "2026-11-01T00:00:00Z"}]},
    }  # fmt: skip
    snapshot = _imported(
        tmp_path,
        [
            node,
            _pod("inventory-5d8f9c7b6-a1b2c", "inventory", "5d8f9c7b6", "worker-1", ready=True),
            _pod("inventory-5d8f9c7b6-d3e4f", "inventory", "5d8f9c7b6", "worker-4", ready=False),
        ],
    )
    owner = _ask(snapshot, "why is inventory degraded").answer
    assert owner.subject is not None and (owner.subject.kind, owner.subject.name) == (
        "Deployment",
        "inventory",
    )
    lost = _ask(snapshot, "did we lose a node?").answer
    assert (lost.intent, lost.verdict) == ("occurrence", "yes") and "worker-4" in lost.text
    named = _ask(snapshot, "did worker-4 die?").answer
    assert named.subject is not None and named.subject.name == "worker-4" and named.verdict == "yes"


def test_a_workload_with_no_status_and_no_pods_is_not_called_healthy(tmp_path):
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "grafana", "namespace": "tools"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "grafana"}},
                 "template": {"metadata": {"labels": {"app": "grafana"}},
                              "spec": {"containers": [{"name": "app", "image": "grafana/grafana:10.2.0"}]}}},
    }  # fmt: skip
    snapshot = _imported(tmp_path, [deployment])
    answer = _ask(snapshot, "is grafana healthy?").answer
    assert answer.verdict == "unknown" and answer.subject_healthy is None
    assert answer.text.startswith("Cannot tell from this capture") and "wants 1 replica" in answer.text
    scaled = {**deployment, "spec": {**deployment["spec"], "replicas": 0}}
    assert _ask(_imported(tmp_path / "zero", [scaled]), "is grafana healthy?").answer.verdict == "yes"
