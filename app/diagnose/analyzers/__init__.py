"""Analyzers: one module per concern, each ``analyze(facts) -> list[Candidate]``, discovered with pkgutil.

A new concern is a new module in this package exposing ``analyze``; nothing else needs registering.
One analyzer raising must not hide the findings of the others, so failures are logged and returned.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts

Analyzer = Callable[[Facts], list[Candidate]]

log = logging.getLogger(__name__)


@dataclass
class AnalyzerRun:
    """What running every analyzer produced: the candidates and the analyzers that failed (name, error)."""

    candidates: list[Candidate] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def all_analyzers() -> list[Analyzer]:
    """Every ``analyze`` function in this package, in module-name order (deterministic)."""
    found: list[Analyzer] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        analyze = getattr(module, "analyze", None)
        if callable(analyze):
            found.append(analyze)
    return found


def run_analyzers_with_errors(facts: Facts) -> AnalyzerRun:
    """Run every analyzer; an analyzer that raises is logged and recorded, the others still run."""
    run = AnalyzerRun()
    for analyze in all_analyzers():
        name = analyze.__module__.rsplit(".", 1)[-1]
        try:
            run.candidates.extend(analyze(facts))
        except Exception as error:  # one broken analyzer must not hide the others
            log.warning("analyzer %s failed: %s", name, error, exc_info=True)
            run.errors.append((name, f"{type(error).__name__}: {error}"))
    return run


def run_analyzers(facts: Facts) -> list[Candidate]:
    """The candidates of every analyzer that ran without error (see ``run_analyzers_with_errors``)."""
    return run_analyzers_with_errors(facts).candidates
