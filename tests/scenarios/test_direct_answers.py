"""The direct answer on scenario snapshots, for names the router does not list and namespaces asked
about: looked up in what was read, never called missing, and answered with their own problems."""

from __future__ import annotations

from app.engine import ask
from devkit.scenarios.judge import open_snapshot


def test_a_certificate_named_in_the_question_is_the_subject_not_a_missing_name(built):
    directory, _ = built("certificate-expired")
    with open_snapshot(directory) as session:
        diagnosis = ask(session, "is the shop-tls cert valid?", use_llm=False).diagnosis
    answer = diagnosis.answer
    assert (answer.subject.kind, answer.subject.name) == ("Certificate", "shop-tls")
    assert answer.intent == "status" and answer.verdict == "no" and answer.subject_healthy is False
    assert "There is no" not in answer.text
    assert diagnosis.findings[0].category.value == "CertificateExpired"


def test_a_namespace_asked_about_has_its_pods_logs_read(built):
    """The reporter in ops runs and is Ready: only its log says it is forbidden to list pods."""
    directory, _ = built("rbac-reporter-forbidden")
    with open_snapshot(directory) as session:
        diagnosis = ask(session, "ops namespace healthy?", use_llm=False).diagnosis
    answer = diagnosis.answer
    assert (answer.subject.kind, answer.subject.name) == ("Namespace", "ops")
    assert answer.verdict == "no" and answer.subject_healthy is False
    assert (diagnosis.findings[0].resource.kind, diagnosis.findings[0].resource.name) == (
        "Role",
        "pod-reader",
    )


def test_a_yes_no_question_without_a_subject_gets_a_verdict_from_what_was_found(built):
    directory, _ = built("certificate-expired")
    with open_snapshot(directory) as session:
        diagnosis = ask(session, "cert expired?", use_llm=False).diagnosis
    assert diagnosis.answer.intent == "status" and diagnosis.answer.subject is None
    assert diagnosis.answer.verdict == "yes"
