"""Runbooks: saved, named investigations, bundled and the user's own, to browse, run on the cluster in the
sidebar, edit and validate. A suggestion box finds the runbooks that fit a question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from app.engine import Session
from app.runbooks import Library, LoadedRunbook, Runbook, load_library, suggest_runbooks
from app.runbooks.choices import param_choices
from app.runbooks.router import hinted_categories, suggest_for_question
from app.runbooks.target import is_namespace_param, namespace_param
from app.ui import shell, state
from app.ui.runbook_editor import render_editor
from app.ui.runbook_form import param_form
from app.ui.runbook_run import last_run, remember, run_in_page
from app.ui.safe import md, md_line
from app.ui.views.chat import render_answer
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.wording import plural, verb

SELECTED = "rb-selected"
LOOKED = "kubewhy_runbook_suggestion_diagnoses"  # (cluster, question) -> the quick diagnosis


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
    _suggestions(library, current.session)
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
            f"{plural(len(library.problems), 'runbook file')} skipped: "
            f"{verb(len(library.problems), 'it does', 'they do')} not validate",
            icon=":material/warning:",
        ):
            for problem in library.problems:
                st.error(md(str(problem)))


def _suggestions(library: Library, session: Session | None) -> None:
    question = st.text_input(
        "Runbooks that match this question",
        key="rb-question",
        placeholder="e.g. why does payments keep restarting?",
    ).strip()
    if not question:
        return
    if session is None:
        hinted = hinted_categories(question, datetime.now(UTC))
        found, looked = suggest_runbooks(question, hinted, library=library), None
    else:
        found, looked = _suggested(session, question, library)
    if looked is not None and looked.findings:
        top = looked.findings[0]
        st.caption(
            md_line(
                f"From the question's words and a quick look at {looked.cluster}: {top.category.value} "
                f"({top.resource}). Ask it on the Chat page for the full answer.",
                400,
            )
        )
    if not found:
        st.caption("No runbook matches this question; browse the list below.")
        return
    for runbook in found:
        st.button(
            md_line(f"{runbook.name} — {runbook.title}"),
            key=f"rb-suggest-{runbook.name}",
            on_click=_select,
            args=(runbook.name,),
            icon=":material/menu_book:",
        )


def _suggested(session: Session, question: str, library: Library) -> tuple[list[Runbook], Diagnosis | None]:
    """The suggestions for ``question`` with a quick diagnosis of it, kept for this browser session (the
    same question is not diagnosed again on every rerun)."""
    kept: dict[tuple[str, str], Diagnosis] = st.session_state.setdefault(LOOKED, {})
    looked = kept.get((session.cluster, question))
    if looked is None:
        with st.spinner(f"Looking at {session.cluster} for this question…"):
            try:
                found, looked = suggest_for_question(session.ctx, question, library=library)
            except Exception as exc:  # the suggestions must survive a cluster that cannot be read
                why = f"{type(exc).__name__}: {exc}"
                st.caption(md_line(f"Could not look at the cluster ({why}); matched the words only.", 400))
                hinted = hinted_categories(question, datetime.now(UTC))
                return suggest_runbooks(question, hinted, library=library), None
        kept[(session.cluster, question)] = looked
        return found, looked
    hinted = hinted_categories(question, session.ctx.now())
    return suggest_runbooks(question, hinted, library=library, diagnosis=looked), looked


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
    values = param_form(
        book,
        entry.name,
        hints={"namespace": scope} if scope else None,
        choices=_choices(current.session, book),
    )
    if values is not None:
        turn = run_in_page(current.session, entry, values, current.settings)
        remember(entry.name, turn)
        _answer(turn, entry.name, replay=False)
    elif (turn := last_run(entry.name)) is not None:
        _answer(turn, entry.name, replay=True)


def _choices(session: Session, book: Runbook) -> Callable[[str, dict[str, Any]], list[str] | None]:
    """The cluster's names for each parameter of ``book`` (namespaces, then the objects in the one chosen)."""

    def pick(name: str, values: dict[str, Any]) -> list[str] | None:
        where = None if is_namespace_param(name) else namespace_param(book, name)
        namespace = values.get(where) if where else None
        return _names(session.cluster, book.name, name, namespace, session.ctx.kube, book)

    return pick


@st.cache_data(ttl=60, show_spinner=False, max_entries=256)
def _names(
    cluster: str, runbook: str, name: str, namespace: str | None, _kube: Any, _book: Runbook
) -> list[str] | None:
    """Cached for a minute per cluster, parameter and namespace: a rerun of the page reads nothing again."""
    where = namespace_param(_book, name)
    return param_choices(_kube, _book, name, {where: namespace} if where and namespace else {})


def _answer(turn: state.Turn, name: str, replay: bool) -> None:
    if turn.diagnosis is not None:
        st.markdown(f"**{md(turn.question)}**")
    render_answer(turn, f"rb-{name}", replay=replay)
    if turn.run_id is not None:
        st.caption(f"Stored in the history as run #{turn.run_id} (see the History page).")
