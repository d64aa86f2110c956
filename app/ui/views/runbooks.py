"""Runbooks: saved, named investigations, bundled and the user's own, to browse, run on the cluster in the
sidebar, edit and validate. A suggestion box finds the runbooks that fit a question."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from app.runbooks import Library, LoadedRunbook, load_library, suggest_runbooks
from app.ui import shell, state
from app.ui.runbook_editor import render_editor
from app.ui.runbook_form import param_form
from app.ui.runbook_run import last_run, remember, run_in_page
from app.ui.safe import md, md_line
from app.ui.views.chat import render_answer

SELECTED = "rb-selected"


def render() -> None:
    current = shell.current()
    st.title("Runbooks")
    st.caption(
        "Saved investigations: a list of read-only tool calls with parameters, then a diagnosis over what "
        "they read. Also on the command line: kubewhy runbook list, kubewhy runbook run NAME key=value."
    )
    library = load_library(current.settings)
    _problems(library)
    if not library.runbooks:
        st.info("No runbooks found.")
        return
    _suggestions(library)
    with st.expander(f"All runbooks ({len(library.runbooks)})", icon=":material/list:"):
        st.dataframe(overview(library), hide_index=True, width="stretch", key="rb-overview")
    names = [entry.name for entry in library.sorted()]
    if st.session_state.get(SELECTED) not in names:
        st.session_state[SELECTED] = names[0]
    name = st.selectbox("Runbook", names, key=SELECTED, format_func=lambda n: _label(library.runbooks[n]))
    entry = library.runbooks[name]
    run_tab, edit_tab = st.tabs(["Run", "Edit YAML"])
    with run_tab:
        _run(entry, current)
    with edit_tab:
        render_editor(entry, current.settings)


def overview(library: Library) -> pd.DataFrame:
    rows = [
        {
            "name": entry.name,
            "title": entry.runbook.title,
            "from": origin(entry),
            "parameters": " ".join(p.name + ("" if p.required else "?") for p in entry.runbook.params),
            "steps": len(entry.runbook.steps),
        }
        for entry in library.sorted()
    ]
    return pd.DataFrame(rows)


def origin(entry: LoadedRunbook) -> str:
    return "user, overrides bundled" if entry.overrides else entry.origin


def _label(entry: LoadedRunbook) -> str:
    return f"{entry.name} — {entry.runbook.title} ({origin(entry)})"


def _problems(library: Library) -> None:
    if library.problems:
        with st.expander(
            f"{len(library.problems)} runbook file(s) skipped: they do not validate",
            icon=":material/warning:",
        ):
            for problem in library.problems:
                st.error(md(str(problem)))


def _suggestions(library: Library) -> None:
    question = st.text_input(
        "Runbooks that match this question",
        key="rb-question",
        placeholder="e.g. why does payments keep restarting?",
    ).strip()
    if not question:
        return
    found = suggest_runbooks(question, _categories(question), library=library)
    if not found:
        st.caption("No runbook matches these words; browse the list below.")
        return
    for runbook in found:
        st.button(
            md_line(f"{runbook.name} — {runbook.title}"),
            key=f"rb-suggest-{runbook.name}",
            on_click=_select,
            args=(runbook.name,),
            icon=":material/menu_book:",
        )


def _categories(question: str) -> list[str]:
    """The kinds of trouble the question describes, by the built-in diagnostician's own router."""
    from app.diagnose.router import route

    return [category.value for category in route(question, [], datetime.now(UTC)).hinted]


def _select(name: str) -> None:
    st.session_state[SELECTED] = name


def _run(entry: LoadedRunbook, current: shell.Shell) -> None:
    book = entry.runbook
    if book.description:
        st.markdown(md(book.description))
    st.caption(md_line(f"{entry.path} · {origin(entry)}", 300))
    with st.expander(f"{len(book.steps)} steps", icon=":material/format_list_numbered:"):
        for number, step in enumerate(book.steps, 1):
            condition = f" (when {step.when})" if step.when else ""
            st.markdown(md(f"{number}. {step.tool}{condition}: {step.description or ''}".rstrip(": ")))
    if current.session is None:
        st.error(md_line(current.failure or "no cluster", 600))
        st.caption("Fix the cluster settings (snapshot, kubeconfig, context) to run runbooks.")
        return
    scope = state.scope()
    values = param_form(book, entry.name, hints={"namespace": scope} if scope else None)
    if values is not None:
        turn = run_in_page(current.session, entry, values, current.settings)
        remember(entry.name, turn)
        _answer(turn, entry.name, replay=False)
    elif (turn := last_run(entry.name)) is not None:
        _answer(turn, entry.name, replay=True)


def _answer(turn: state.Turn, name: str, replay: bool) -> None:
    if turn.diagnosis is not None:
        st.markdown(f"**{md(turn.question)}**")
    render_answer(turn, f"rb-{name}", replay=replay)
    if turn.run_id is not None:
        st.caption(f"Stored in the history as run #{turn.run_id} (see the History page).")
