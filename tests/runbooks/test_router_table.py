"""Operator-style questions -> the runbook suggested first, on a real cluster (a served snapshot): the
question's words plus a quick diagnosis by the built-in diagnostician (``suggest_for_question``).

TUNED are the questions the matching rule was written against; HELD_OUT were written down before the rule
was run on them and were not used to tune it (they must pass as they are)."""

from __future__ import annotations

import pytest

from app.runbooks import suggest_runbooks
from app.runbooks.router import DIAGNOSED_SCORE, REVIEWED_SCORE, diagnosed_categories, suggest_for_question
from tools.contracts.diagnosis import Answer, Diagnosis, Finding, ResourceRef

# question, which session, the runbook that must come first (and any that must also be suggested)
TUNED = [
    ("why are orders failing at checkout?", "demo", "traffic-dropped"),
    ("why is payments down?", "demo", "pod-restarting"),
    ("what's wrong with the cart service?", "demo", "service-unreachable"),
    ("recommendations won't come up", "demo", "rollout-stuck"),
    ("catalog is slow", "demo", "latency-after-deploy"),
    ("is anything wrong in shop?", "demo", "namespace-health"),
]
HELD_OUT = [
    ("checkout can't talk to the database", "demo", "traffic-dropped"),
    ("payments pods are crashlooping", "demo", "pod-restarting"),
    ("nobody can reach cart", "demo", "service-unreachable"),
    ("why is the recommendations deployment stuck?", "demo", "rollout-stuck"),
    ("why did catalog get slower?", "demo", "latency-after-deploy"),
    ("give me a health review of shop", "demo", "namespace-health"),
    ("reporter never starts in batch", "lab", "pods-pending"),
    ("the reports-db claim in data is stuck", "lab", "pvc-pending"),
]


@pytest.mark.parametrize(
    ("question", "where", "first"),
    [pytest.param(*case, id=f"tuned: {case[0]}") for case in TUNED]
    + [pytest.param(*case, id=f"held-out: {case[0]}") for case in HELD_OUT],
)
def test_the_fitting_runbook_comes_first(request, question, where, first) -> None:
    session = request.getfixturevalue(f"{where}_session")
    suggested, diagnosis = suggest_for_question(session.ctx, question)
    names = [runbook.name for runbook in suggested]
    assert names and names[0] == first, (names, [f.category.value for f in diagnosis.findings])
    assert len(names) == len(set(names)) <= 3


def test_the_demo_checkout_question_gets_the_policy_runbook_and_why(demo_session) -> None:
    """Its words ("failing") hint at crashes, missing endpoints and policies alike; the cluster shows a
    NetworkPolicy dropping checkout's traffic to postgres, so the runbook made for that comes first."""
    question = "why are orders failing at checkout?"
    words_only = [
        r.name for r in suggest_runbooks(question, ["AppCrash", "ServiceNoEndpoints", "NetworkPolicyBlocked"])
    ]
    suggested, diagnosis = suggest_for_question(demo_session.ctx, question)
    assert diagnosis.findings[0].category.value == "NetworkPolicyBlocked"
    assert diagnosis.findings[0].resource.name == "postgres-allow-catalog"
    assert suggested[0].name == "traffic-dropped" != words_only[0]


def test_a_diagnosis_about_one_object_weighs_more_than_a_review(demo_session) -> None:
    _, about_one = suggest_for_question(demo_session.ctx, "why is payments down?")
    _, review = suggest_for_question(demo_session.ctx, "is anything wrong in shop?")
    assert diagnosed_categories(about_one) == (["AppCrash"], DIAGNOSED_SCORE)
    categories, weight = diagnosed_categories(review)
    assert weight == REVIEWED_SCORE < DIAGNOSED_SCORE and len(categories) >= 3


def diagnosis_of(category: str, subject: ResourceRef | None, intent: str = "diagnose") -> Diagnosis:
    culprit = ResourceRef(kind="NetworkPolicy", namespace="data", name="deny")
    finding = Finding(title="t", category=category, resource=culprit, confidence=0.9, explanation="x")
    return Diagnosis(
        question="q",
        cluster="c",
        answered_at="2026-01-01T00:00:00Z",
        engine="offline",
        summary="s",
        answer=Answer(intent=intent, subject=subject),
        findings=[finding],
    )


def test_the_runbooks_main_category_fits_best() -> None:
    """Three bundled runbooks cover NetworkPolicyBlocked; traffic-dropped lists it first, dns-failing
    second (DNS blocked by a policy), service-unreachable third."""
    found = diagnosis_of("NetworkPolicyBlocked", ResourceRef(kind="Deployment", namespace="shop", name="a"))
    ranked = [r.name for r in suggest_runbooks("hello", [], diagnosis=found)]
    assert ranked == ["traffic-dropped", "dns-failing", "service-unreachable"]
    assert suggest_runbooks("hello", []) == []


def test_findings_elsewhere_do_not_count() -> None:
    found = diagnosis_of("NetworkPolicyBlocked", ResourceRef(kind="Deployment", namespace="shop", name="a"))
    moved = found.model_copy(update={"findings": [], "elsewhere": found.findings})
    assert suggest_runbooks("hello", [], diagnosis=moved) == []
