"""Who is signed in, when the page runs behind an authenticating proxy (oauth2-proxy, docs/deploy.md).

The proxy signs people in with OIDC and passes the user in a header (``KUBEWHY_AUTH_HEADER``, e.g.
``X-Forwarded-Email``); Streamlit listens on 127.0.0.1 in the pod, so only the proxy can set it. On any
other address the page refuses to serve, unless ``KUBEWHY_AUTH_PROXY_IN_FRONT`` says a proxy is the only
way in. With the setting on, a request without exactly one value in that header is refused before
anything is shown: it did not come through the proxy. Without the setting (a laptop, ``kubewhy ui``)
nothing is required.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import streamlit as st

from tools.contracts.settings import Settings

MAX_USER_CHARS = 200  # the history's user column
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064]")


def user_from_header(values: Sequence[str]) -> str | None:
    """The signed-in user from the header's values: one non-empty value, printable, bounded; else None."""
    cleaned = {_UNPRINTABLE.sub("", value).strip() for value in values}
    cleaned.discard("")
    if len(cleaned) != 1:  # missing, or ambiguous (a client-sent copy next to the proxy's)
        return None
    user = cleaned.pop()
    return user if len(user) <= MAX_USER_CHARS else None


def proxy_user(settings: Settings) -> str | None:
    """The user the proxy signed in, or None (no proxy configured, or no usable header)."""
    if not settings.auth_header:
        return None
    try:
        values = st.context.headers.get_all(settings.auth_header)
    except Exception:  # no script context (tests, bare mode)
        return None
    return user_from_header(values)


def require_sign_in(settings: Settings) -> None:
    """Stop the page for a request that did not come through the sign-in proxy (when one is configured),
    and for every request when the header is trusted on an address others can reach."""
    problem = settings.open_bind_problem(st.get_option("server.address"))
    if problem:
        st.error(f"This page refuses to serve: {problem}.")
        st.stop()
    if settings.auth_header and proxy_user(settings) is None:
        st.error(
            "Sign-in required: this page is served behind an authenticating proxy, and this request "
            f"did not carry the signed-in user ({settings.auth_header})."
        )
        st.stop()
