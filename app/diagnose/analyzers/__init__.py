"""Analyzers: one module per concern, each ``analyze(facts) -> list[Candidate]``, run in module-name order.

A new concern is a new module in this package exposing ``analyze``, added to ``ANALYZER_MODULES``
(a test fails when a module of this package is missing there).
One analyzer raising must not hide the findings of the others, so failures are logged and returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from app.diagnose.analyzers import (
    admission,
    autoscaling,
    certificates,
    cpu_throttling,
    crash,
    disruption_budget,
    dns,
    image_pull,
    ingress,
    init_stuck,
    jobs,
    missing_config,
    netpol_blocked,
    network_capacity,
    nodes,
    oom,
    probes,
    quota,
    rbac,
    regression,
    rollout,
    scheduling,
    service_endpoints,
    service_ports,
    storage,
    terminating,
    volume_attach,
    volume_full,
)
from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts

Analyzer = Callable[[Facts], list[Candidate]]

log = logging.getLogger(__name__)
ANALYZER_MODULES: tuple[ModuleType, ...] = (
    admission,
    autoscaling,
    certificates,
    cpu_throttling,
    crash,
    disruption_budget,
    dns,
    image_pull,
    ingress,
    init_stuck,
    jobs,
    missing_config,
    netpol_blocked,
    network_capacity,
    nodes,
    oom,
    probes,
    quota,
    rbac,
    regression,
    rollout,
    scheduling,
    service_endpoints,
    service_ports,
    storage,
    terminating,
    volume_attach,
    volume_full,
)


@dataclass
class AnalyzerRun:
    """What running every analyzer produced: the candidates and the analyzers that failed (name, error)."""

    candidates: list[Candidate] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def all_analyzers() -> list[Analyzer]:
    """Every analyzer, in module-name order (deterministic)."""
    return [module.analyze for module in ANALYZER_MODULES]


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
