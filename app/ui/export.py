"""Sharing an answer: its Markdown to copy (app/render.py, which makes cluster text inert), the diagnosis
document as JSON, and a permalink that reopens the stored answer from the history in any browser.

A permalink is the History page's address with ``?run=<id>``: the page reads that run from the history
store, so it shows the same answer to whoever opens it (and nothing when the run is not stored).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from app.render import render_markdown
from tools.contracts.diagnosis import Diagnosis

RUN_PARAM = "run"
HISTORY_PATH = "history"
PAGE_PATHS = ("chat", "runbooks", HISTORY_PATH)


def permalink(page_url: str | None, run_id: int) -> str:
    """The History page's address for stored run ``run_id``, on the server the page was opened from
    (``page_url``, the browser's address; a path alone when it is not known)."""
    parts = urlsplit(page_url or "")
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last in PAGE_PATHS:
        path = head
    query = f"{RUN_PARAM}={int(run_id)}"
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/{HISTORY_PATH}", query, ""))


def opened_run() -> int | None:
    """The run a permalink asks for (``?run=N``), or None."""
    value = st.query_params.get(RUN_PARAM)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def file_stem(diagnosis: Diagnosis, run_id: int | None) -> str:
    return f"kubewhy-run-{run_id}" if run_id is not None else f"kubewhy-{diagnosis.answered_at[:19]}"


def render_export(diagnosis: Diagnosis, run_id: int | None, key: str) -> None:
    """The row under an answer: Copy as Markdown, Download JSON and, for a stored answer, its permalink."""
    stem = file_stem(diagnosis, run_id).replace(":", "")
    with st.container(horizontal=True, gap="small", key=f"export-{key}"):  # one row; wraps on a phone
        with st.popover("Copy as Markdown", icon=":material/content_copy:", key=f"md-{key}"):
            st.caption(
                "The answer as Markdown, for a ticket or a chat: copy it with the button on the block."
            )
            st.code(render_markdown(diagnosis), language="markdown", wrap_lines=True)
        st.download_button(
            "Download JSON",
            diagnosis.model_dump_json(indent=2),
            file_name=f"{stem}.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
            key=f"json-{key}",
        )
        if run_id is not None:
            with st.popover("Permalink", icon=":material/link:", key=f"link-{key}"):
                st.caption("Opens this answer from the history, in any browser that reaches this page.")
                st.code(permalink(st.context.url, run_id), language=None, wrap_lines=True)
