"""What every page run starts with: the settings, the cluster chosen in the sidebar, and its shared
session (or the reason it could not be opened), with the sidebar drawn around them."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.engine import Session
from app.sessions import Target
from app.ui import runtime, sidebar
from tools.contracts.settings import Settings

_KEY = "kubewhy_shell"
SCROLL_KEY = "kubewhy-scroll"  # the container of the chat page's scroll script (app/ui/views/chat.py)

# kubewhy's own style sheet (no text from the cluster in it): the page's width used, up to a readable line
# length; a neutral focus ring on the question box (Streamlit's red one reads as an error); room at the
# right of code blocks for their copy button so it never covers the end of a long command; and no room
# taken by the frame of the chat page's scroll script, which brings an answer's start just under the header.
STYLE = """<style>
.stMainBlockContainer { max-width: 1200px; }
@media (min-width: 768px) { .stMainBlockContainer { padding-left: 2.5rem; padding-right: 2.5rem; } }
[data-testid="stChatInput"] > div:focus-within { border-color: #94a3b8 !important; box-shadow: none; }
[data-testid="stCode"] pre { padding-right: 3rem !important; }
[class*="st-key-SCROLL_KEY"] { position: absolute; height: 0; overflow: hidden; }
[data-testid="stChatMessage"] { scroll-margin-top: 3.75rem; }
</style>""".replace("SCROLL_KEY", SCROLL_KEY)


@dataclass
class Shell:
    settings: Settings
    target: Target
    session: Session | None
    failure: str | None = None


def style() -> None:
    st.html(STYLE)


def build() -> Shell:
    """Open (or reuse) the session for the chosen cluster and draw the sidebar. Never raises for a cluster
    that cannot be opened: the reason is in ``failure`` and shown in the sidebar and on the page."""
    from tools.contracts.tool import ToolError
    from tools.snapshot.loader import SnapshotError

    config = runtime.settings()
    target = sidebar.choose_target(config)
    session, failure = None, None
    try:
        session = runtime.shared_session(target)
    except SnapshotError as exc:
        failure = f"The snapshot cannot be loaded: {exc}"
    except ToolError as exc:
        failure = f"The cluster cannot be reached: {exc}"
    except Exception as exc:  # any other start-up failure is shown, not a traceback
        failure = f"Connecting failed: {type(exc).__name__}: {exc}"
    sidebar.render_cluster(session, target, failure)
    if session is not None:
        sidebar.render_scope(session, target)
        sidebar.render_sources(session)
        sidebar.render_engine(session, config)
    sidebar.render_new_conversation()
    shell = Shell(config, target, session, failure)
    st.session_state[_KEY] = shell
    return shell


def current() -> Shell:
    """The shell built by this run of main.py (pages call this)."""
    shell = st.session_state.get(_KEY)
    return shell if shell is not None else build()
