""" "Save as runbook" on the page: name it, read the YAML it becomes, save it to the user's runbook folder.

Used after a chat answer (its evidence ledger) and on a reopened history entry (its stored tool calls);
the runbook is built by ``app.runbooks`` (tool calls become steps, names from the question parameters),
so the page saves exactly what ``kubewhy runbook save`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from app.runbooks import BadParam, Runbook, RunbookError, runbook_yaml, save_runbook, user_runbooks_dir
from app.ui.safe import md
from tools.contracts.settings import Settings


def folder_note(settings: Settings) -> str:
    """Where runbooks are saved, and how to choose another folder (Markdown, escaped)."""
    folder = user_runbooks_dir(settings)
    if settings.runbooks_dir:
        return md(f"Your runbook folder: {folder} (KUBEWHY_RUNBOOKS_DIR).")
    return md(
        f"Your runbook folder: {folder} (the default). Set KUBEWHY_RUNBOOKS_DIR, or runbooks_dir in "
        "kubewhy.yaml, to keep runbooks elsewhere (a shared folder, a git checkout)."
    )


def save_as_runbook(make: Callable[[str], Runbook], settings: Settings, key: str) -> None:
    """An expander with a name box; once named, the runbook's YAML and a Save button."""
    with st.expander("Save as runbook", icon=":material/bookmark_add:"):
        st.caption(
            "Repeat this investigation later with one click: its tool calls become steps, and the names "
            "in the question (namespace, workload, service, node) become parameters."
        )
        name = st.text_input(
            "Runbook name",
            key=f"save-name-{key}",
            placeholder="e.g. checkout-db",
            help="lower-case letters, digits and '-'",
        ).strip()
        if not name:
            return
        try:
            runbook = make(name)
        except (BadParam, RunbookError) as exc:
            st.error(md(str(exc)))
            return
        st.code(runbook_yaml(runbook), language="yaml", wrap_lines=True, height=320)
        target = user_runbooks_dir(settings) / f"{runbook.name}.yaml"
        st.caption(folder_note(settings))
        overwrite = False
        if target.exists():
            overwrite = st.checkbox(f"Replace the existing {target.name}", key=f"save-over-{key}")
        if st.button("Save runbook", key=f"save-{key}", icon=":material/save:"):
            _save(runbook, settings, overwrite)


def _save(runbook: Runbook, settings: Settings, overwrite: bool) -> Path | None:
    try:
        path = save_runbook(runbook, settings, overwrite=overwrite)
    except BadParam as exc:
        st.error(md(str(exc)))
        return None
    except OSError as exc:
        st.error(md(f"The runbook could not be written: {exc}"))
        return None
    command = " ".join(["kubewhy runbook run", runbook.name, *(f"{p.name}=..." for p in runbook.params)])
    st.success(md(f"Saved {path}. Run it on the Runbooks page, or: {command}"))
    return path
