"""``diff_findings``: added and resolved only between answers to the same question on the same cluster; a
problem the other run did not ask about is never "resolved", and one it still saw elsewhere is still there."""

from __future__ import annotations

from app.store import diff_findings
from tests.store.helpers import diagnosis

CRASH = ("AppCrash", "Deployment", "payments")
POLICY = ("NetworkPolicyBlocked", "NetworkPolicy", "postgres-allow-catalog")
PULL = ("ImagePull", "Deployment", "recommendations")


def names(findings) -> list[str]:
    return [f.resource.name for f in findings]


def test_same_question_added_resolved_unchanged() -> None:
    before = diagnosis("why is checkout failing?", POLICY, CRASH)
    after = diagnosis("Why is checkout  failing", POLICY, PULL)  # case, spaces and "?" do not matter
    change = diff_findings(before, after)
    assert change.comparable and change.differences == []
    assert (names(change.added), names(change.resolved), names(change.unchanged)) == (
        ["recommendations"],
        ["payments"],
        ["postgres-allow-catalog"],
    )
    assert change.changed and change.only_before == change.only_after == change.in_both == []


def test_a_finding_now_listed_elsewhere_is_not_resolved() -> None:
    before = diagnosis("why is checkout failing?", POLICY, CRASH)
    after = diagnosis("why is checkout failing?", POLICY)
    after = after.model_copy(update={"elsewhere": diagnosis("x", CRASH).findings})
    change = diff_findings(before, after)
    assert change.resolved == [] and sorted(names(change.unchanged)) == ["payments", "postgres-allow-catalog"]


def test_different_questions_are_not_called_resolved() -> None:
    before = diagnosis("why are orders failing at checkout?", POLICY)
    after = diagnosis("why is payments down?", CRASH)
    change = diff_findings(before, after)
    assert not change.comparable
    assert change.added == change.resolved == change.unchanged == []
    assert names(change.only_before) == ["postgres-allow-catalog"]
    assert names(change.only_after) == ["payments"]
    [why] = change.differences
    assert "different questions" in why and "why is payments down?" in why
    doc = change.as_dict()
    assert doc["comparable"] is False and doc["resolved"] == [] and len(doc["only_before"]) == 1


def test_different_clusters_are_said() -> None:
    before = diagnosis("why is checkout failing?", POLICY)
    after = diagnosis("why is checkout failing?", POLICY).model_copy(update={"cluster": "eu-prod"})
    change = diff_findings(before, after)
    assert change.differences == ["they are about different clusters: shop-prod and eu-prod"]
    assert names(change.in_both) == ["postgres-allow-catalog"] and change.unchanged == []
