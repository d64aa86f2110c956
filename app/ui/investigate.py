"""Ask one question with a live view of the investigation.

A ``st.status`` shows what is being read as it happens: the engine's progress lines and, with a model,
every tool call ("reading events in shop") and the model's text streaming in. The result is a
:class:`Turn` holding the diagnosis and every recorded tool result, or the error that stopped it; the
conversation is never lost to an exception.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import streamlit as st

from app.agent.events import BudgetHit, Fallback, Status, TextDelta, ToolFinished, ToolStarted, describe_call
from app.engine import Asker, BadQuestion, Session, ask, check_question
from app.ui.flows import follow_policy_drops
from app.ui.safe import md, md_line
from app.ui.state import Turn
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolError, ToolResult
from tools.contracts.wording import plural

log = logging.getLogger(__name__)

SOURCE_NAMES = {
    "kubernetes": "Kubernetes",
    "prometheus": "Prometheus",
    "flows": "Network flows",
    "logs": "Logs",
}


def investigate(session: Session, question: str, namespace: str | None, conversation: Any) -> Turn:
    """Run ``question`` through the engine (agent or diagnostician) while showing progress, recorded in the
    run history as the page's user; never raises."""
    from app.ui.recording import page_user

    turn = Turn(question=question, namespace=namespace)
    try:
        turn.question = check_question(question, session.settings)
    except BadQuestion as exc:
        turn.error, turn.error_kind = str(exc), "bad question"
        return turn
    ledger = Ledger()
    unsaved: list[str] = []  # why the history could not keep the answer (shown last)
    started = time.perf_counter()
    with st.status("Investigating…", expanded=True) as status:
        live = LiveView(status, turn)
        per_question = dataclasses.replace(
            session, ctx=dataclasses.replace(session.ctx, on_progress=live.progress)
        )

        def finish(diagnosis: Diagnosis, _by_model: bool) -> Diagnosis:
            before = len(ledger)
            follow_policy_drops(session.ctx, ledger)  # the flows behind cited drops, for the timeline
            calls = diagnosis.stats.tool_calls + len(ledger) - before  # the footer counts them too
            return diagnosis.model_copy(
                update={"stats": diagnosis.stats.model_copy(update={"tool_calls": calls})}
            )

        try:
            answer = ask(
                per_question,
                turn.question,
                asked_by=Asker(surface="page", user=page_user(), warn=unsaved.append),
                namespace=namespace,
                conversation=conversation,
                on_event=live.event,
                ledger=ledger,
                finish=finish,
            )
            turn.diagnosis, turn.run_id = answer.diagnosis, answer.run_id
        except BadQuestion as exc:
            turn.error, turn.error_kind = str(exc), "bad question"
        except ToolError as exc:
            turn.error, turn.error_kind = f"A data source failed: {exc}", "source down"
        except Exception as exc:  # the page must survive anything the engine throws
            log.exception("question failed: %s", turn.question)
            turn.error, turn.error_kind = f"The investigation failed: {type(exc).__name__}: {exc}", "failed"
        turn.duration_s = time.perf_counter() - started
        turn.ledger = ledger
        turn.results = {evidence_id: entry.result for evidence_id, entry in ledger.entries.items()}
        if turn.diagnosis is not None and not live.saw_tools:
            for result in turn.results.values():
                live.step(describe_call(result.tool, result.args))
        turn.warnings.extend(unavailable_warnings(session) + failure_warnings(turn.results) + unsaved)
        status.update(label=status_label(turn), state="error" if turn.error else "complete", expanded=False)
    return turn


def status_label(turn: Turn) -> str:
    if turn.error:
        return f"Stopped: {md_line(turn.error_kind or 'error')}"
    return f"Investigated in {turn.duration_s:.1f} s · {len(turn.results)} tool results"


def unavailable_warnings(session: Session) -> list[str]:
    return [
        f"Answered without {SOURCE_NAMES.get(name, name)}: {reason}."
        for name, reason in sorted(session.ctx.unavailable.items())
    ]


def failure_warnings(results: dict[str, ToolResult]) -> list[str]:
    """One line per data source whose tool calls failed during the question (a source that went down)."""
    failed: dict[str, list[ToolResult]] = {}
    for result in results.values():
        if result.error:
            failed.setdefault(result.source, []).append(result)
    return [
        f"{plural(len(items), f'{SOURCE_NAMES.get(source, source)} tool call')} failed; the first: "
        f"{items[0].tool}: {items[0].error}"
        for source, items in failed.items()
    ]


class LiveView:
    """Writes progress into the status container as it arrives (the script thread calls it)."""

    def __init__(self, status: Any, turn: Turn) -> None:
        self.status = status
        self.turn = turn
        self.saw_tools = False
        self.model_text = ""
        self.model_box: Any = None

    def step(self, text: str) -> None:
        self.turn.steps.append(text)
        self.status.markdown(f"- {md_line(text)}")

    def progress(self, message: str) -> None:
        self.status.update(label=f"{md_line(message)}…")
        self.step(message)

    def event(self, event: Any) -> None:
        if isinstance(event, ToolStarted):
            self.saw_tools = True
            self.step(event.status)
        elif isinstance(event, Status):
            self.status.update(label=f"{md_line(event.text)}…")
        elif isinstance(event, ToolFinished) and event.result.error:
            self.status.markdown(f"  - {md_line(event.result.error)}")
        elif isinstance(event, TextDelta):
            self.model_text += event.text
            if self.model_box is None:
                self.model_box = self.status.empty()
            self.model_box.markdown(md(self.model_text))
        elif isinstance(event, BudgetHit):
            self.turn.errors.append(f"Budget reached ({event.budget}): {event.message}.")
            self.status.error(md_line(event.message))
        elif isinstance(event, Fallback):
            self.turn.warnings.append(
                f"The model's answer could not be used ({event.reason}); the built-in diagnostician answered."
            )
