"""What an analyzer returns: a candidate finding that cites facts, before ranking and evidence ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.diagnose.facts import FactRef
from tools.contracts.diagnosis import Category, NextStep, ResourceRef


@dataclass(frozen=True)
class Cite:
    """Cite the line of a fact's tool output that prints ``key`` (``tools.contracts.printed``: what the
    renderer promises, whatever its wording), else the line that contains ``needle`` (verbatim text the
    tool returned: a message read from the cluster)."""

    ref: FactRef
    needle: str = ""
    key: str | None = None


@dataclass
class Candidate:
    title: str
    category: Category
    resource: ResourceRef  # the culprit: the object to fix
    confidence: float
    explanation: str
    cites: list[Cite] = field(default_factory=list)
    affected: list[ResourceRef] = field(default_factory=list)  # objects that show the symptom
    severity: int = 2  # 3 outage, 2 degraded, 1 warning, 0 informational
    next_steps: list[NextStep] = field(default_factory=list)
    caused: list[Candidate] = field(default_factory=list)  # symptoms folded into this cause by correlation
    # What the symptom's evidence says it needs (a Service it cannot reach, the workloads behind it): a
    # candidate whose culprit is one of these is this candidate's cause.
    depends_on: list[ResourceRef] = field(default_factory=list)
    # The Services the symptom's traffic is meant for when it never gets there (the one a misspelt host
    # name was meant to be): a question about traffic to one of them asks about this candidate too.
    reaching: list[ResourceRef] = field(default_factory=list)
    # When the trouble began, where the object itself dates it (a certificate's notAfter): an onset.
    began: datetime | None = None
