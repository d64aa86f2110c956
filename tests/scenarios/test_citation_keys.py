"""A citation by key survives a renderer's rewording: the diagnostician asks for "the pod labels" line,
not for the words it used to be written in, so the evidence still quotes it and nothing is missed."""

from __future__ import annotations

import pytest

from devkit.scenarios.judge import ask_with_ledger, judge, open_snapshot
from tools.contracts.kube.selectors import map_text
from tools.contracts.printed import printed, printed_key
from tools.kubernetes import describe, describe_kinds

SCENARIO = "frontend-5xx-service-selector"


def reworded(labels: dict[str, str] | None) -> str:
    return printed(f"  this pod carries => {map_text(labels) or 'nothing'}", printed_key("pod-labels"))


@pytest.mark.parametrize("wording", ["as shipped", "reworded"])
def test_the_pod_labels_citation_follows_the_renderer(built, monkeypatch, wording):
    snapshot, truth = built(SCENARIO)
    if wording == "reworded":
        monkeypatch.setattr(describe_kinds, "pod_labels_line", reworded)
        monkeypatch.setattr(describe, "pod_labels_line", reworded)
    with open_snapshot(snapshot) as session:
        answer = ask_with_ledger(session, truth["question"])

    assert judge(answer, truth).top1
    assert answer.ledger.missed == []
    top = answer.diagnosis.findings[0]
    quoted = [e.excerpt for e in answer.diagnosis.evidence if e.id in top.evidence]
    shown = "this pod carries => " if wording == "reworded" else "  labels: "
    assert any(f"{shown}app=catalog" in excerpt for excerpt in quoted), quoted
