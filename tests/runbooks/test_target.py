"""A targeted runbook's answer keeps to its target (the answer composer's findings vs ``elsewhere``), even
when its question does not name it, and its evidence is listed in the order it was read (e1, e2, ...)."""

from __future__ import annotations

import pytest

from app.diagnose.question import NamedObject
from app.runbooks import load_library, load_text, run_runbook
from app.runbooks.cite_steps import _number
from app.runbooks.target import runbook_target

# A user runbook whose question names nothing: only its parameters say what it is about.
VAGUE = """
name: vague-check
title: Is something wrong here?
question: Is something wrong here?
params:
  - {name: namespace, required: true}
  - {name: workload, required: true}
steps:
  - tool: k8s_workload
    args: {name: "{{ params.workload }}", namespace: "{{ params.namespace }}"}
"""


def about(finding, namespace: str, name: str) -> bool:
    ref = finding.resource
    return ref.namespace == namespace and (ref.name == name or ref.name.startswith(f"{name}-"))


@pytest.mark.parametrize("workload", ["payments", "recommendations"])
def test_a_vague_question_keeps_to_the_runbooks_target(demo_session, workload) -> None:
    book = load_text(VAGUE, "vague-check.yaml")
    run = run_runbook(demo_session, book, {"namespace": "shop", "workload": workload})
    answer, findings = run.diagnosis.answer, run.diagnosis.findings
    assert answer.subject is not None and (answer.subject.namespace, answer.subject.name) == (
        "shop",
        workload,
    )
    assert answer.intent == "diagnose" and workload in answer.text
    assert findings and all(about(f, "shop", workload) for f in findings), [f.title for f in findings]
    elsewhere = {f.resource.name for f in run.diagnosis.elsewhere}
    assert "postgres-allow-catalog" in elsewhere  # the cluster's other problem is listed, as elsewhere


def test_the_same_question_without_a_target_is_a_review(demo_session) -> None:
    """The contrast: run as a plain question, the diagnostician cannot know what it is about."""
    from app.diagnose.engine import diagnose

    diagnosis = diagnose(demo_session.ctx, "Is something wrong here?")
    assert diagnosis.answer.subject is None or diagnosis.answer.subject.kind == "Namespace"
    assert len({f.resource.name for f in diagnosis.findings}) > 1


def test_the_target_comes_from_the_parameters() -> None:
    library = load_library(None)

    def target(name: str, **params: str) -> NamedObject | None:
        return runbook_target(library.get(name).runbook, params)

    assert target("pod-restarting", namespace="shop", workload="payments") == NamedObject(
        "Deployment", "shop", "payments"
    )
    assert target("pod-restarting", namespace="db", workload="pg", kind="StatefulSet") == NamedObject(
        "StatefulSet", "db", "pg"
    )
    assert target("service-unreachable", namespace="shop", service="cart") == NamedObject(
        "Service", "shop", "cart"
    )
    assert target(
        "traffic-dropped", source_namespace="shop", source="checkout", destination_namespace="data",
        destination="postgres",
    ) == NamedObject("Deployment", "shop", "checkout")  # fmt: skip
    assert target("node-not-ready", node="node-c") == NamedObject("Node", None, "node-c")
    assert target("pvc-pending", namespace="data", pvc="reports-db") == NamedObject(
        "PersistentVolumeClaim", "data", "reports-db"
    )
    assert target("namespace-health", namespace="shop") is None  # a review of the namespace
    assert target("dns-failing", namespace="web") is None  # no workload given


def test_a_statefulset_given_as_a_workload_is_found_by_name(demo_session) -> None:
    """The ``workload`` parameter does not say the kind; the engine finds postgres's real kind."""
    book = load_text(VAGUE, "vague-check.yaml")
    run = run_runbook(demo_session, book, {"namespace": "data", "workload": "postgres"})
    subject = run.diagnosis.answer.subject
    assert subject is not None and subject.name == "postgres" and subject.kind != "Deployment"


def test_missing_target_is_named_not_replaced(demo_session) -> None:
    book = load_text(VAGUE, "vague-check.yaml")
    run = run_runbook(demo_session, book, {"namespace": "shop", "workload": "nosuchthing"})
    assert "nosuchthing" in run.diagnosis.answer.text and run.diagnosis.findings == []


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("traffic-dropped", {"source_namespace": "shop", "source": "checkout",
                             "destination_namespace": "data", "destination": "postgres"}),
        ("pod-restarting", {"namespace": "shop", "workload": "payments"}),
        ("namespace-health", {"namespace": "shop"}),
    ],
)  # fmt: skip
def test_evidence_is_listed_in_the_order_it_was_read(demo_session, name, params) -> None:
    run = run_runbook(demo_session, load_library(None).get(name), params)
    diagnosis = run.diagnosis
    listed = [_number(e.id) for e in diagnosis.evidence]
    assert listed == sorted(listed) and listed[0] == 1
    for finding in [*diagnosis.findings, *diagnosis.elsewhere]:
        cited = [_number(i) for i in finding.evidence]
        assert cited == sorted(cited), (finding.title, finding.evidence)
    step_ids = {s.evidence_id for s in run.steps if s.evidence_id}
    for finding in diagnosis.findings:
        if step_ids & set(finding.evidence):  # the runbook's own reads first, then what the engine read
            assert finding.evidence[0] in step_ids, (finding.title, finding.evidence)
