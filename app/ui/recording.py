"""Who is asking from the page, and putting the page's answers in the run history.

The history says who asked: the signed-in person when the page is behind Streamlit's login
(``st.user``), otherwise the account the page server runs as. A history that cannot be written is a
warning on the answer, never a lost answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.engine import Session
from app.store import current_user, record_answer_safely
from app.ui.state import Turn
from tools.contracts.settings import Settings

IDENTITY_CLAIMS = ("email", "preferred_username", "name", "sub")


def page_user() -> str:
    """The signed-in user's e-mail (or name) when Streamlit authentication is on, else the OS user."""
    from app.ui import runtime
    from app.ui.identity import proxy_user

    signed_in = proxy_user(runtime.settings())  # the auth proxy's user (docs/deploy.md), when configured
    if signed_in:
        return signed_in
    try:
        user = st.user
        if user.get("is_logged_in"):
            for claim in IDENTITY_CLAIMS:
                value = user.get(claim)
                if value:
                    return str(value)
    except Exception:  # no script context, or a host without user info: fall back quietly
        pass
    return current_user()


def record_turn(settings: Settings, session: Session, turn: Turn) -> None:
    """Store an answered chat question (surface ``page``); sets ``turn.run_id`` or adds a warning."""
    if turn.diagnosis is None:
        return
    started_at = datetime.now(UTC) - timedelta(seconds=turn.duration_s)
    turn.run_id = record_answer_safely(
        settings,
        warn=turn.warnings.append,
        user=page_user(),
        surface="page",
        cluster=session.cluster,
        question=turn.question,
        diagnosis=turn.diagnosis,
        ledger=turn.ledger,
        started_at=started_at,
    )
