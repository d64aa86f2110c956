"""The typed question that travels from the router to the answer composer: what kind of question it is,
about which object, over which time window, and the turn of conversation before it.

The router (``router.route_question``) makes it from the words and the cluster's names; the engine
resolves its subject against what was read (the workload behind a Service or host name); the composer
(``compose.py``) answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tools.contracts.diagnosis import Diagnosis, ResourceRef

if TYPE_CHECKING:
    from app.diagnose.intent import Reading
    from app.diagnose.router import NamedObject, Scope


@dataclass
class PreviousTurn:
    """What a follow-up needs from the turn before it: its question (for its time window and kind), its
    subject and its culprit."""

    question: str
    intent: str | None = None
    subject: ResourceRef | None = None
    culprit: ResourceRef | None = None

    @classmethod
    def from_diagnosis(cls, diagnosis: Diagnosis) -> PreviousTurn:
        culprit = diagnosis.findings[0].resource if diagnosis.findings else None
        answer = diagnosis.answer
        return cls(
            question=diagnosis.question,
            intent=answer.intent if answer.text else None,
            subject=answer.subject,
            culprit=culprit,
        )

    @property
    def namespaces(self) -> list[str]:
        found = []
        for ref in (self.subject, self.culprit):
            if ref is not None:
                ns = ref.name if ref.kind == "Namespace" else ref.namespace
                if ns and ns not in found:
                    found.append(ns)
        return found


@dataclass
class Question:
    text: str
    intent: str
    reading: Reading
    scope: Scope
    subject: NamedObject | None = None  # as the question names it (a Service, host, pod...); resolved later
    window_start: datetime | None = None  # where a yes/no question's window starts (None: all history)
    previous: PreviousTurn | None = None
    follow_up: bool = False  # it took its subject (or namespace) from the previous turn
    recognised: bool = True
    missing: list[tuple[str, list[str]]] = field(default_factory=list)  # names that do not exist, and the
    # closest names that do
