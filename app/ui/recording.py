"""Who is asking from the page, as the run history names them.

The history says who asked: the signed-in person when the page is behind Streamlit's login
(``st.user``), otherwise the account the page server runs as. A history that cannot be written is a
warning on the answer, never a lost answer.
"""

from __future__ import annotations

import streamlit as st

from app.store import current_user

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
