"""Run history and audit log. ``app.engine.ask`` records every answer with
:func:`record_answer_safely` (which never raises: a store failure must not lose the answer); surfaces ask
there and read ``answer.run_id``.

    store = open_store(settings); store.list_runs(limit=20); store.get_run(run_id); store.audit()
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.store.db import StoreError, describe_url
from app.store.diff import FindingsDiff, diff_findings, finding_key
from app.store.repository import AuditEntry, CallRecord, HistoryStore, RunRecord, StoredRun
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings

SURFACES = ("cli", "page", "slack", "runbook", "mcp", "alerts")

__all__ = [
    "SURFACES",
    "AuditEntry",
    "CallRecord",
    "FindingsDiff",
    "HistoryStore",
    "RunRecord",
    "StoreError",
    "StoredRun",
    "calls_from_ledger",
    "current_user",
    "describe_url",
    "diff_findings",
    "finding_key",
    "last_turn",
    "open_store",
    "record_answer",
    "record_answer_safely",
]


def open_store(settings: Settings) -> HistoryStore:
    """The store at ``settings.database_url``, migrated. Raises StoreError with a clear message."""
    return HistoryStore(settings.database_url)


def current_user() -> str:
    """Who runs the CLI (the page and Slack pass their own user names)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (containers)
        return os.environ.get("USER") or "unknown"


def calls_from_ledger(ledger: Ledger | None) -> list[CallRecord]:
    from tools.budget import count_tokens

    calls = []
    for entry in ledger.entries.values() if ledger is not None else []:
        result = entry.result
        calls.append(
            CallRecord(
                evidence_id=entry.id,
                tool=result.tool,
                args=dict(result.args),
                source=result.source,
                duration_s=round(float(result.duration_s), 4),
                output_chars=len(result.text),
                output_tokens=count_tokens(result.text),
                truncated=result.truncated,
                error=result.error,
            )
        )
    return calls


def record_answer(
    settings: Settings,
    *,
    user: str,
    surface: str,
    cluster: str,
    question: str,
    diagnosis: Diagnosis,
    ledger: Ledger | None,
    started_at: datetime,
    runbook: str | None = None,
    runbook_params: dict[str, Any] | None = None,
    thread: str | None = None,
) -> int:
    """Store one answer and every tool call behind it; returns the run id. Raises StoreError."""
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {', '.join(SURFACES)}, not {surface!r}")
    record = RunRecord(
        user=user,
        surface=surface,
        cluster=cluster,
        question=question,
        diagnosis=diagnosis,
        started_at=started_at,
        calls=calls_from_ledger(ledger),
        runbook=runbook,
        runbook_params=runbook_params,
        thread=thread,
    )
    return open_store(settings).add_run(record)


def last_turn(settings: Settings, thread: str, cluster: str) -> Diagnosis | None:
    """The latest answer of conversation ``thread`` on ``cluster`` (None for a new thread). Raises
    StoreError."""
    runs = open_store(settings).thread_runs(thread, cluster)
    return runs[-1].diagnosis if runs else None


def record_answer_safely(
    settings: Settings, *, warn: Callable[[str], None] | None = None, **kwargs: Any
) -> int | None:
    """:func:`record_answer`, but a failure is a warning (stderr by default) and None, never an exception."""
    try:
        return record_answer(settings, **kwargs)
    except Exception as exc:  # the answer matters more than its record
        message = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
        (warn or _stderr)(f"kubewhy: warning: the answer was not saved to the history: {message}")
        return None


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)
