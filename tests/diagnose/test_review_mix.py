"""A health review shows each kind of trouble before a second helping of the same kind."""

from __future__ import annotations

from app.diagnose.candidate import Candidate
from app.diagnose.engine import _review_mix
from tools.contracts.diagnosis import Category, ResourceRef


def cand(category: Category, name: str) -> Candidate:
    return Candidate(
        title=name,
        category=category,
        resource=ResourceRef(kind="Node", namespace=None, name=name),
        confidence=0.9,
        explanation="",
        severity=3,
    )


def test_at_most_two_of_a_kind_before_the_other_kinds():
    ranked = [cand(Category.NodeNotReady, f"node-{i}") for i in range(4)] + [
        cand(Category.AppCrash, "api"),
        cand(Category.ImagePull, "web"),
    ]
    mixed = [c.title for c in _review_mix(ranked)]
    assert mixed == ["node-0", "node-1", "api", "web", "node-2", "node-3"]
