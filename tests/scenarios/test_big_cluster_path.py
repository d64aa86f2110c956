"""The big-cluster gather path (inventory first, then only the namespaces in scope; a streamed pod scan
for health reviews) gives the same answers as reading everything, on the scenarios' small clusters."""

from __future__ import annotations

import pytest

from app.diagnose import gather
from devkit.scenarios.build_scenarios import load
from devkit.scenarios.judge import ask_with_ledger, judge, open_snapshot

CATALOG = load()


def _param(name: str):
    marks = [pytest.mark.prometheus] if CATALOG[name].metrics else []
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [_param(name) for name in CATALOG])
def test_reading_by_namespace_finds_the_same_culprit(built, monkeypatch, name):
    """Cause chains that cross namespaces (a policy in data, a Role in shop) are followed from the
    evidence; hosts (shop.example.com) lead to their Ingress's namespace."""
    monkeypatch.setattr(gather, "SMALL_CLUSTER_PODS", 10)
    directory, truth = built(name)
    with open_snapshot(directory) as session:
        assert not gather.is_small_cluster(session.ctx)
        answer = ask_with_ledger(session, CATALOG[name].question)
    verdict = judge(answer, truth)
    assert verdict.top1, verdict.got
    assert verdict.contract == []
    assert verdict.distractor_blamed == []
