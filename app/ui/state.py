"""One browser session's conversation: its turns (question, what was investigated, the diagnosis and the
tool results) and the follow-up memory the agent reads. Lives in ``st.session_state``."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from app.agent.memory import Conversation
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolResult

TURNS = "kubewhy_turns"
MEMORY = "kubewhy_memory"
PENDING = "kubewhy_pending_question"
NAMESPACE = "kubewhy_namespace"
CONTEXT = "kubewhy_context"
ALL_NAMESPACES = "All namespaces"


@dataclass
class Turn:
    """One question and what came of it. ``error`` set means no diagnosis (the kind says why)."""

    question: str
    namespace: str | None = None
    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # shown as errors: a budget hit
    warnings: list[str] = field(default_factory=list)  # shown as warnings: a source down, a fallback
    diagnosis: Diagnosis | None = None
    results: dict[str, ToolResult] = field(default_factory=dict)  # evidence id -> what the tool returned
    error: str | None = None
    error_kind: str | None = None  # "bad question", "source down", "failed"
    duration_s: float = 0.0
    ledger: Ledger | None = None  # every tool call of the answer ("save as runbook" repeats them)
    run_id: int | None = None  # the history row, when the answer was recorded


def turns() -> list[Turn]:
    return st.session_state.setdefault(TURNS, [])


def memory(context_window: int) -> Conversation:
    if MEMORY not in st.session_state:
        st.session_state[MEMORY] = Conversation(context_window=context_window)
    return st.session_state[MEMORY]


def new_conversation() -> None:
    """Forget the turns and the follow-up memory (the scope and cluster choice stay)."""
    st.session_state[TURNS] = []
    st.session_state.pop(MEMORY, None)
    st.session_state.pop(PENDING, None)


def ask_later(question: str) -> None:
    """Queue a question (a starter button) for the next run of the chat page."""
    st.session_state[PENDING] = question


def take_pending() -> str | None:
    return st.session_state.pop(PENDING, None)


def scope() -> str | None:
    value = st.session_state.get(NAMESPACE)
    return None if value in (None, ALL_NAMESPACES) else value
