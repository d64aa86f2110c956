"""Run a runbook from the page with a live status, and keep the outcome as a chat-like :class:`Turn` so the
diagnosis card and the evidence are drawn exactly as on the chat page.

Bad parameters and invalid runbooks are refused before anything runs and come back as errors (with the
file and line for a runbook that does not validate); nothing the engine raises reaches the page.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Any

import streamlit as st

from app.engine import Asker, Session
from app.runbooks import BadParam, LoadedRunbook, RunbookError, resolve_params, run_runbook
from app.runbooks.runner import check_ready
from app.ui.investigate import LiveView, failure_warnings, unavailable_warnings
from app.ui.recording import page_user
from app.ui.state import Turn
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolError

log = logging.getLogger(__name__)

RUNS = "kubewhy_runbook_runs"


def run_in_page(
    session: Session, entry: LoadedRunbook, values: Mapping[str, Any], settings: Settings
) -> Turn:
    """Run ``entry`` with ``values`` (recorded in the history as this page's user); never raises.
    ``settings`` are the page's (the engine, the history database), as for a question on the chat page."""
    book = entry.runbook
    turn = Turn(question=book.title, namespace=values.get("namespace"))
    if not _ready(entry, values, turn):
        return turn
    ledger = Ledger()
    started = time.perf_counter()
    with st.status(f"Running runbook {book.name}…", expanded=True) as status:
        live = LiveView(status, turn)
        per_run = dataclasses.replace(
            session, settings=settings, ctx=dataclasses.replace(session.ctx, on_progress=live.progress)
        )
        try:
            run = run_runbook(
                per_run,
                entry,
                values,
                ledger=ledger,
                on_event=live.event,
                asked_by=Asker(surface="page", user=page_user(), warn=turn.warnings.append),
            )
        except BadParam as exc:
            turn.error, turn.error_kind = str(exc), "bad parameter"
        except RunbookError as exc:
            turn.error, turn.error_kind = "The runbook was refused before anything ran.", "invalid runbook"
            turn.errors.extend(str(problem) for problem in exc.problems)
        except ToolError as exc:
            turn.error, turn.error_kind = f"A data source failed: {exc}", "source down"
        except Exception as exc:  # the page must survive anything the engine throws
            log.exception("runbook %s failed", book.name)
            turn.error, turn.error_kind = f"The run failed: {type(exc).__name__}: {exc}", "failed"
        else:
            turn.question, turn.diagnosis, turn.run_id = run.question, run.diagnosis, run.run_id
            for step in run.steps:
                if step.skipped is not None:
                    live.step(f"step {step.number} ({step.tool}) skipped: {step.skipped}")
        turn.duration_s = time.perf_counter() - started
        turn.results = {evidence_id: item.result for evidence_id, item in ledger.entries.items()}
        if turn.diagnosis is not None:
            turn.warnings.extend(unavailable_warnings(session) + failure_warnings(turn.results))
        status.update(
            label=run_label(book.name, turn), state="error" if turn.error else "complete", expanded=False
        )
    return turn


def _ready(entry: LoadedRunbook, values: Mapping[str, Any], turn: Turn) -> bool:
    """The checks ``run_runbook`` starts with, made first so that a refusal opens no status box."""
    try:
        check_ready(entry.runbook, resolve_params(entry.runbook, values), str(entry.path))
    except BadParam as exc:
        turn.error, turn.error_kind = str(exc), "bad parameter"
        return False
    except RunbookError as exc:
        turn.error, turn.error_kind = "The runbook was refused before anything ran.", "invalid runbook"
        turn.errors.extend(str(problem) for problem in exc.problems)
        return False
    return True


def run_label(name: str, turn: Turn) -> str:
    if turn.error:
        return f"Runbook {name}: stopped ({turn.error_kind or 'error'})"
    return f"Runbook {name} ran in {turn.duration_s:.1f} s · {len(turn.results)} tool results"


def remember(name: str, turn: Turn) -> None:
    """Keep the latest run of each runbook for this browser session (it stays on the page)."""
    st.session_state.setdefault(RUNS, {})[name] = turn


def last_run(name: str) -> Turn | None:
    return st.session_state.get(RUNS, {}).get(name)
