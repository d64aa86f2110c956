"""The agent, started from a runbook's results: the steps' tool results are already in its ledger, and
the model reads them (with the runbook's guidance) right after the question, so it can cite them and go on
from there instead of repeating them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.agent.loop import AgentRun
from app.diagnosis import Diagnosis
from app.evidence import Ledger
from tools.base import ToolContext


class SeededAgentRun(AgentRun):
    """One agent run whose task prompt carries a briefing (the runbook's guidance and step results)."""

    def __init__(self, ctx: ToolContext, question: str, briefing: str, **kwargs: Any) -> None:
        super().__init__(ctx, question, **kwargs)
        self.briefing = briefing

    def _task_prompt(self) -> str:
        return f"{super()._task_prompt()}\n\n{self.briefing}"


def run_seeded_agent(
    ctx: ToolContext,
    question: str,
    briefing: str,
    *,
    ledger: Ledger,
    on_event: Callable[[Any], None] | None = None,
    chat_model: Any = None,
) -> Diagnosis:
    """Like ``app.agent.loop.run_agent``, with ``ledger`` already holding the runbook's results."""
    return SeededAgentRun(
        ctx,
        question,
        briefing,
        on_event=on_event,
        stream=on_event is not None,
        chat_model=chat_model,
        ledger=ledger,
    ).run()
