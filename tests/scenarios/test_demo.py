"""The demo cluster (app/demo/shop): each of its problems is found first from its plain question, and the
resolved one is never blamed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devkit.scenarios.judge import ask_with_ledger, contract_problems, is_match, judge, open_snapshot

pytestmark = pytest.mark.prometheus

ROOT = Path(__file__).resolve().parents[2]
TRUTH = yaml.safe_load((ROOT / "app" / "demo" / "shop_truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo():
    with open_snapshot(ROOT / "app" / "demo" / "shop") as session:
        yield session


@pytest.mark.parametrize("problem", TRUTH["problems"], ids=[p["id"] for p in TRUTH["problems"]])
def test_each_problem_is_found_first(demo, problem):
    answer = ask_with_ledger(demo, problem["question"])
    verdict = judge(answer, problem)
    assert verdict.top1, f"expected {problem['category']} {problem['culprit']}, got {verdict.got}"
    assert verdict.contract == []
    for bad in problem.get("must_not_blame", []):
        assert not any(is_match(f, bad, bad["category"]) for f in answer.diagnosis.findings)
    assert answer.ledger.missed == [], "a cited text its tool's output does not print (a renderer changed?)"


@pytest.mark.parametrize("resolved", TRUTH["resolved"], ids=[r["id"] for r in TRUTH["resolved"]])
def test_the_resolved_problem_is_not_blamed(demo, resolved):
    answer = ask_with_ledger(demo, resolved["question"])
    assert not any(is_match(f, resolved["resource"], resolved["category"]) for f in answer.diagnosis.findings)
    assert contract_problems(answer) == []
