"""The analyzer package: discovery of every module's ``analyze`` and isolation of a failing analyzer."""

from __future__ import annotations

import app.diagnose.analyzers as analyzers
from app.diagnose.candidate import Candidate

from .factories import facts, service


def test_discovers_network_and_node_analyzers():
    names = {fn.__module__.rsplit(".", 1)[-1] for fn in analyzers.all_analyzers()}
    expected = {
        "service_endpoints",
        "service_ports",
        "netpol_blocked",
        "dns",
        "ingress",
        "nodes",
        "regression",
    }
    assert expected <= names


def test_a_failing_analyzer_is_recorded_and_the_others_still_run(monkeypatch):
    def broken(_facts) -> list[Candidate]:
        raise KeyError("status")

    real = analyzers.all_analyzers()
    monkeypatch.setattr(analyzers, "all_analyzers", lambda: [broken, *real])
    run = analyzers.run_analyzers_with_errors(facts(service("cart", selector={"app": "cart"})))
    assert run.errors == [("test_registry", "KeyError: 'status'")]
    assert any(c.resource.name == "cart" for c in run.candidates)
