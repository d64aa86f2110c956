""" "Save as runbook": a conversation's tool calls become steps, the question's names become parameters."""

from __future__ import annotations

import pytest

from app.engine import ask
from app.runbooks import BadParam, load_file, load_library, run_runbook, runbook_from_ledger, save_runbook
from tools.contracts.evidence import Ledger


def test_conversation_becomes_a_runbook_that_runs_again(demo_session, settings) -> None:
    question = "Why does the payments deployment in shop keep restarting?"
    ledger = Ledger()
    ask(demo_session, question, ledger=ledger)
    runbook = runbook_from_ledger(question, ledger, "payments-restarts", cluster="shop-prod")

    assert [p.name for p in runbook.params] == ["namespace", "workload"]
    assert runbook.question == (
        "Why does the {{ params.workload }} deployment in {{ params.namespace }} keep restarting?"
    )
    calls = [(s.tool, s.args) for s in runbook.steps]
    assert ("k8s_describe", {"kind": "Deployment", "name": "{{ params.workload }}",
                             "namespace": "{{ params.namespace }}"}) in calls  # fmt: skip
    assert not any("payments-" in str(args) for _, args in calls)  # pod names change: left out
    assert "left out" in runbook.description

    path = save_runbook(runbook, settings)
    assert load_file(path) == runbook
    with pytest.raises(BadParam, match="exists already"):
        save_runbook(runbook, settings)

    again = run_runbook(demo_session, load_library(settings).get("payments-restarts"),
                        {"namespace": "shop", "workload": "payments"})  # fmt: skip
    assert again.diagnosis.findings[0].resource.name == "payments"
    assert again.diagnosis.question == question


def test_bad_names_and_empty_conversations_are_refused() -> None:
    with pytest.raises(BadParam, match="lower-case"):
        runbook_from_ledger("q", Ledger(), "My Runbook")
    with pytest.raises(BadParam, match="nothing to save"):
        runbook_from_ledger("q", Ledger(), "empty")
