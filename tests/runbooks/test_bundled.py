"""Every bundled runbook, run without a model against a scenario snapshot that has its problem: the
culprit comes first among the findings about it, the steps ran, and the steps' own output is cited."""

from __future__ import annotations

import pytest

from app.runbooks import load_library, run_runbook

# runbook, params, which session, expected (category, kind, namespace, name) of the culprit
CASES = [
    ("pod-restarting", {"namespace": "shop", "workload": "payments"}, "demo",
     ("AppCrash", "Deployment", "shop", "payments")),
    ("rollout-stuck", {"namespace": "shop", "workload": "recommendations"}, "demo",
     ("ImagePull", "Deployment", "shop", "recommendations")),
    ("service-unreachable", {"namespace": "shop", "service": "cart"}, "demo",
     ("ServiceNoEndpoints", "Service", "shop", "cart")),
    ("traffic-dropped", {"source_namespace": "shop", "source": "checkout", "destination_namespace": "data",
                         "destination": "postgres"}, "demo",
     ("NetworkPolicyBlocked", "NetworkPolicy", "data", "postgres-allow-catalog")),
    ("latency-after-deploy", {"namespace": "shop", "workload": "catalog"}, "demo",
     ("CPUThrottling", "Deployment", "shop", "catalog")),
    ("namespace-health", {"namespace": "shop"}, "demo", ("AppCrash", "Deployment", "shop", "payments")),
    ("pods-pending", {"namespace": "batch", "workload": "reporter"}, "lab",
     ("InsufficientResources", "Deployment", "batch", "reporter")),
    ("node-not-ready", {"node": "node-c"}, "lab", ("NodeNotReady", "Node", None, "node-c")),
    ("pvc-pending", {"namespace": "data", "pvc": "reports-db"}, "lab",
     ("StorageProvisioning", "PersistentVolumeClaim", "data", "reports-db")),
    ("dns-failing", {"namespace": "web", "workload": "frontend"}, "lab",
     ("DNSFailure", "Deployment", "web", "frontend")),
]  # fmt: skip


def test_the_library_has_the_ten_situations() -> None:
    library = load_library(None)
    assert library.problems == []
    assert {case[0] for case in CASES} <= set(library.runbooks)
    assert len(library.runbooks) >= 10


@pytest.mark.parametrize(("name", "params", "where", "culprit"), CASES, ids=[c[0] for c in CASES])
def test_bundled_runbook_finds_its_problem(request, name, params, where, culprit) -> None:
    session = request.getfixturevalue(f"{where}_session")
    run = run_runbook(session, load_library(None).get(name), params)
    diagnosis = run.diagnosis

    assert diagnosis.contract_problems() == []
    assert diagnosis.question == run.question and diagnosis.engine == "offline"
    assert diagnosis.summary.startswith(f"Runbook {name} ran ")
    ran = [s for s in run.steps if s.skipped is None]
    assert len(ran) >= len(run.steps) - 1 and all(s.evidence_id for s in ran)
    assert diagnosis.stats.tool_calls == len(run.ledger) >= len(ran)

    keys = [
        (f.category.value, f.resource.kind, f.resource.namespace, f.resource.name) for f in diagnosis.findings
    ]
    assert culprit in keys, keys
    finding = diagnosis.findings[keys.index(culprit)]
    if name != "namespace-health":  # a review reports everything; a targeted runbook ranks its culprit first
        assert keys[0] == culprit, keys
    step_ids = {s.evidence_id for s in ran}
    cited = step_ids & set(finding.evidence)
    assert cited, f"no step output cited by {finding.title}"
    quotes = {e.id: e for e in diagnosis.evidence}
    for evidence_id in finding.evidence:
        assert run.ledger.verify_excerpt(evidence_id, quotes[evidence_id].excerpt)


def test_steps_see_earlier_results(demo_session) -> None:
    """pod-restarting reads the previous log of the pod that restarted most (found by step 1)."""
    run = run_runbook(
        demo_session, load_library(None).get("pod-restarting"), {"namespace": "shop", "workload": "payments"}
    )
    log_step = next(s for s in run.steps if s.id == "crashed_log")
    assert log_step.args["pod"] == "payments-lm2kvkchd7-d9zdb" and log_step.args["previous"] is True
    assert "STRIPE_API_KEY" in log_step.result.text


def test_condition_skips_a_step(demo_session) -> None:
    """pods-pending without a workload skips the workload step (its `when` is false)."""
    run = run_runbook(demo_session, load_library(None).get("pods-pending"), {"namespace": "shop"})
    skipped = [s for s in run.steps if s.skipped]
    assert [s.tool for s in skipped] == ["k8s_workload"]
    assert "condition not met" in skipped[0].skipped and skipped[0].evidence_id is None
    assert f"ran {len(run.steps) - 1} of {len(run.steps)}" in run.diagnosis.summary
