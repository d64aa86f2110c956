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

from tools.contracts.diagnosis import Category, Diagnosis, ResourceRef

if TYPE_CHECKING:
    from app.diagnose.intent import Reading


@dataclass(frozen=True)
class NamedObject:
    kind: str  # Namespace, Deployment, StatefulSet, DaemonSet, Service, Ingress, Pod, Node, ...
    namespace: str | None
    name: str
    aliases: tuple[str, ...] = field(default=(), compare=False)  # other names it answers to (Ingress hosts)


@dataclass
class Scope:
    """What the question is about, in this cluster's terms."""

    namespaces: list[str] = field(default_factory=list)
    targets: list[NamedObject] = field(default_factory=list)
    hinted: list[Category] = field(default_factory=list)
    since: datetime | None = None
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)  # (word, close names)
    whole_cluster: bool = False
    called_namespaces: list[str] = field(default_factory=list)  # "namespace X", "the X namespace"
    outside: list[str] = field(default_factory=list)  # named namespaces outside KUBEWHY_NAMESPACES
    permitted: list[str] = field(default_factory=list)  # KUBEWHY_NAMESPACES, when set
    guessed: list[NamedObject] = field(default_factory=list)  # targets found only by a close spelling

    @property
    def target_names(self) -> set[str]:
        return {t.name for t in self.targets}


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
    guess: Scope | None = None  # what a yes/no guess at the cause names ("... - is it the db?")
