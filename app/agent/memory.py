"""Conversation memory for follow-up questions (chat page, Slack threads), with a running total.

Each answered question is kept as a pair of messages: the question and a compact text of the diagnosis
(summary, findings, the quoted evidence). Tool outputs are not kept: the quotes carry what mattered.
When the memory grows past a share of the model's context window, older turns shrink to question and
summary, and the oldest go altogether.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from tools.budget import count_tokens
from tools.contracts.diagnosis import Diagnosis, Stats

DEFAULT_SHARE = 0.25  # of the context window; the current question needs the rest
KEEP_FULL_TURNS = 2


@dataclass
class Turn:
    question: str
    answer: str  # full text of the diagnosis as the model will read it again
    brief: str  # the summary alone, used once the turn is compacted
    compacted: bool = False

    @property
    def text(self) -> str:
        return self.brief if self.compacted else self.answer

    def tokens(self) -> int:
        return count_tokens(self.question) + count_tokens(self.text) + 8


@dataclass
class Conversation:
    """Follow-up memory and the running totals of one conversation (a chat session or a Slack thread)."""

    context_window: int = 128_000
    share: float = DEFAULT_SHARE
    turns: list[Turn] = field(default_factory=list)
    totals: Stats = field(default_factory=Stats)
    questions: int = 0
    last: Diagnosis | None = None  # the latest answer: what a follow-up's "it" and "that" refer to
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def limit_tokens(self) -> int:
        return int(self.context_window * self.share)

    def messages(self) -> list[BaseMessage]:
        """Earlier turns as chat messages, oldest first."""
        with self._lock:
            history: list[BaseMessage] = []
            for turn in self.turns:
                history.append(HumanMessage(turn.question))
                history.append(AIMessage(turn.text))
            return history

    def tokens(self) -> int:
        return sum(turn.tokens() for turn in self.turns)

    def add(self, question: str, diagnosis: Diagnosis) -> None:
        """Remember an answered question, add its cost to the totals, and compact if needed."""
        with self._lock:
            self.turns.append(Turn(question, render_answer(diagnosis), f"Summary: {diagnosis.summary}"))
            self.last = diagnosis
            self.questions += 1
            self.totals = self.totals.plus(diagnosis.stats)
            self._compact()

    def _compact(self) -> None:
        for turn in self.turns[:-KEEP_FULL_TURNS]:
            if self.tokens() <= self.limit_tokens:
                return
            turn.compacted = True
        while len(self.turns) > 1 and self.tokens() > self.limit_tokens:
            self.turns.pop(0)
        if self.turns and self.tokens() > self.limit_tokens:
            self.turns[0].compacted = True


def render_answer(diagnosis: Diagnosis) -> str:
    """The diagnosis as text a model can build a follow-up on."""
    lines = [f"Summary: {diagnosis.summary}"]
    quotes = {item.id: item for item in diagnosis.evidence}
    for number, finding in enumerate(diagnosis.findings, 1):
        lines.append(
            f"Finding {number}: {finding.title} [{finding.category}] on {finding.resource} "
            f"(confidence {finding.confidence:.2f}). {finding.explanation}"
        )
        for evidence_id in finding.evidence:
            item = quotes.get(evidence_id)
            if item:
                args = ", ".join(f"{k}={v}" for k, v in item.args.items())
                lines.append(f"  evidence from {item.tool}({args}): {item.excerpt}")
    for step in diagnosis.next_steps:
        lines.append(f"Next step: {step.description}" + (f" ({step.command})" if step.command else ""))
    return "\n".join(lines)


def thread_turns(
    earlier: list[BaseMessage], question: str, diagnosis: Diagnosis, context_window: int
) -> list[BaseMessage]:
    """A thread's messages after this turn, as its checkpoint keeps them: every earlier turn and this one
    as question and answer text (tool outputs are not kept), the oldest dropped past the memory share."""
    from langchain_core.messages import RemoveMessage
    from langgraph.graph.message import REMOVE_ALL_MESSAGES

    pairs = [
        (earlier[i], earlier[i + 1])
        for i in range(0, len(earlier) - 1, 2)
        if isinstance(earlier[i], HumanMessage) and isinstance(earlier[i + 1], AIMessage)
    ]
    pairs.append((HumanMessage(question), AIMessage(render_answer(diagnosis))))
    limit = int(context_window * DEFAULT_SHARE)

    def tokens() -> int:
        return sum(count_tokens(str(q.content)) + count_tokens(str(a.content)) + 8 for q, a in pairs)

    while len(pairs) > 1 and tokens() > limit:
        pairs.pop(0)
    return [RemoveMessage(id=REMOVE_ALL_MESSAGES), *(m for pair in pairs for m in pair)]
