"""The committed demo snapshot: reproducible, valid, and consistent with its ground truth."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import yaml

from app.demo import SHOP_SNAPSHOT, SHOP_TRUTH
from tests.synth.helpers import objects_by_kind, tree_bytes
from tools.snapshot.loader import load_snapshot
from tools.snapshot.validate import validate_snapshot

CATEGORIES = {
    "AppCrash",
    "OOMKilled",
    "ImagePull",
    "MissingConfig",
    "ProbeFailure",
    "InsufficientResources",
    "SchedulingConstraint",
    "StorageProvisioning",
    "VolumeAttach",
    "VolumeFull",
    "QuotaExceeded",
    "ServiceNoEndpoints",
    "ServicePortMismatch",
    "NetworkPolicyBlocked",
    "DNSFailure",
    "IngressMisconfig",
    "CPUThrottling",
    "AutoscalingLimit",
    "DisruptionBudget",
    "NodeNotReady",
    "NodePressure",
    "NetworkCapacity",
    "CertificateExpired",
    "RBACForbidden",
    "PerformanceRegression",
    "Other",
}


def test_committed_demo_equals_a_fresh_build(fresh_shop: Path) -> None:
    committed, fresh = tree_bytes(SHOP_SNAPSHOT), tree_bytes(fresh_shop)
    assert sorted(committed) == sorted(fresh), "file list differs: run python -m devkit.build_shop"
    changed = [name for name in fresh if committed[name] != fresh[name]]
    assert not changed, (
        f"hand-edited or stale files (rebuild with python -m devkit.build_shop): {changed[:5]}"
    )


def test_demo_passes_snapshot_check() -> None:
    snapshot = load_snapshot(SHOP_SNAPSHOT)
    assert validate_snapshot(snapshot) == []
    assert snapshot.meta.name == "shop-prod"
    assert snapshot.meta.captured_at == datetime.fromisoformat("2026-11-20T09:30:00+00:00")


def test_demo_is_small_enough() -> None:
    total = sum(p.stat().st_size for p in SHOP_SNAPSHOT.rglob("*") if p.is_file())
    assert total < 8 * 1024 * 1024


def test_truth_names_objects_that_exist_with_contract_categories() -> None:
    truth = yaml.safe_load(SHOP_TRUTH.read_text())
    objects = objects_by_kind(SHOP_SNAPSHOT)
    index = {
        (k, o["metadata"].get("namespace"), o["metadata"]["name"])
        for k, items in objects.items()
        for o in items
    }
    assert len(truth["problems"]) >= 5
    for problem in truth["problems"]:
        culprit = problem["culprit"]
        assert (culprit["kind"], culprit["namespace"], culprit["name"]) in index, problem["id"]
        assert problem["category"] in CATEGORIES
        assert problem["question"].strip().endswith("?")
        assert set(problem["sources"]) <= {"kubernetes", "prometheus", "flows", "logs"}
    for item in truth["resolved"]:
        assert item["category"] in CATEGORIES


def test_injected_problems_show_in_the_objects() -> None:
    objects = objects_by_kind(SHOP_SNAPSHOT)
    pods = {p["metadata"]["name"]: p for p in objects["Pod"]}
    # payments: one new pod restarting, reason not in the status; the rollout is stuck
    payments_new = [
        p
        for n, p in pods.items()
        if n.startswith("payments-") and p["spec"]["containers"][0]["image"].endswith(":2.8.0")
    ]
    assert len(payments_new) == 1
    status = payments_new[0]["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 5 and status["lastState"]["terminated"]["exitCode"] == 2
    assert "STRIPE_API_KEY" not in yaml.safe_dump(payments_new[0])
    dep = next(d for d in objects["Deployment"] if d["metadata"]["name"] == "payments")
    progressing = next(c for c in dep["status"]["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "ProgressDeadlineExceeded"
    # cart: resolved OOM (lastState OOMKilled long ago), running and ready now
    cart = [p for n, p in pods.items() if n.startswith("cart-")]
    oom = [
        p
        for p in cart
        if p["status"]["containerStatuses"][0]["lastState"].get("terminated", {}).get("reason") == "OOMKilled"
    ]
    assert len(oom) == 1 and all(p["status"]["containerStatuses"][0]["ready"] for p in cart)
    assert (
        oom[0]["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"]
        < "2026-11-20T08:05:00Z"
    )
    # recommendations: image pull back-off with the kubelet's messages
    recs = next(p for n, p in pods.items() if n.startswith("recommendations-"))
    assert recs["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ImagePullBackOff"
    messages = [
        e["message"] for e in objects["Event"] if e["involvedObject"]["name"] == recs["metadata"]["name"]
    ]
    assert any(
        re.match(r'Failed to pull image ".*:v1\.0\.O": rpc error: code = NotFound', m) for m in messages
    )
    # catalog (metrics-only problem): no warning events, no restarts
    catalog_names = {n for n in pods if n.startswith("catalog-")}
    assert not [
        e for e in objects["Event"] if e["involvedObject"]["name"] in catalog_names and e["type"] == "Warning"
    ]
    # the drop is only in flows: no event or log names the policy
    assert not [e for e in objects["Event"] if "postgres-allow-catalog" in e["message"]]
    logs = "".join(p.read_text() for p in (SHOP_SNAPSHOT / "logs").rglob("*.log"))
    assert "postgres-allow-catalog" not in logs and "POLICY_DENIED" not in logs


def test_decisive_evidence_is_where_the_truth_says() -> None:
    previous = list((SHOP_SNAPSHOT / "logs" / "shop").glob("payments-*/payments.previous.log"))
    assert len(previous) == 1
    assert "required environment variable STRIPE_API_KEY is not set" in previous[0].read_text()
    current = previous[0].with_name("payments.log").read_text()
    assert "STRIPE_API_KEY" not in current and "panic" not in current
    metric_text = (SHOP_SNAPSHOT / "metrics" / "hubble.om").read_text()
    assert "hubble_drop" not in metric_text  # only DNS metrics are enabled in this cluster
