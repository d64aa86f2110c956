"""The analyzer package: every module's ``analyze`` is listed and run, and a failing analyzer is isolated."""

from __future__ import annotations

from pathlib import Path

import app.diagnose.analyzers as analyzers
from app.diagnose.candidate import Candidate
from tests.diagnose.analyzers.factories import facts, service


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


def test_every_module_of_the_package_is_listed_in_order():
    package = Path(analyzers.__file__).parent
    on_disk = sorted(path.stem for path in package.glob("*.py") if not path.stem.startswith("_"))
    listed = [module.__name__.rsplit(".", 1)[-1] for module in analyzers.ANALYZER_MODULES]
    assert listed == on_disk
    assert [fn.__module__ for fn in analyzers.all_analyzers()] == [
        m.__name__ for m in analyzers.ANALYZER_MODULES
    ]


def test_a_failing_analyzer_is_recorded_and_the_others_still_run(monkeypatch):
    def broken(_facts) -> list[Candidate]:
        raise KeyError("status")

    real = analyzers.all_analyzers()
    monkeypatch.setattr(analyzers, "all_analyzers", lambda: [broken, *real])
    run = analyzers.run_analyzers_with_errors(facts(service("cart", selector={"app": "cart"})))
    assert run.errors == [("test_registry", "KeyError: 'status'")]
    assert any(c.resource.name == "cart" for c in run.candidates)
