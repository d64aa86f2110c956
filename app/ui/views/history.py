"""History: find and reopen past answers from every surface (page, CLI, Slack, runbook runs), run one
again on the cluster in the sidebar and see what changed since last time, or compare any two runs.

The list keeps to the sidebar's cluster by default (demo runs and real clusters do not mix); "All
clusters" shows every run, each with the cluster it was on."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.runbooks import Runbook, RunbookError, UnknownRunbook, load_library, runbook_from_history
from app.store import SURFACES, HistoryStore, StoredRun, StoreError, diff_findings, open_store
from app.ui import shell
from app.ui.card import render_card
from app.ui.diff_view import render_diff
from app.ui.export import RUN_PARAM, opened_run, render_export
from app.ui.investigate import investigate
from app.ui.runbook_run import run_in_page
from app.ui.safe import md, md_line
from app.ui.save_runbook import save_as_runbook
from app.ui.state import Turn
from app.ui.views.chat import render_answer
from tools.contracts.diagnosis import Diagnosis

ALL = "All"
LISTED = 50
CHOICES_FROM = 500  # the user and cluster filters offer the values of this many recent runs
RERUNS = "kubewhy_history_reruns"
OPENED = "kubewhy_history_opened"


def render() -> None:
    current = shell.current()
    st.title("History")
    st.caption(
        "Every answered question and runbook run, from the page, the command line and Slack: "
        "who asked, where, and the full diagnosis. Also: kubewhy history."
    )
    try:
        store = open_store(current.settings)
        users, clusters = filter_choices(current.settings.database_url)
    except StoreError as exc:
        st.error(md(f"The history cannot be read: {exc}"))
        return
    here = current.session.cluster if current.session is not None else None
    runs, filtered = _filtered(store, users, clusters, here)
    if runs is None:
        return
    linked = _linked(store, runs)
    if linked is not None:
        runs = [linked, *runs]
    if not runs:
        if filtered:
            st.info("No stored answer matches these filters.")
        elif here and any(cluster != here for cluster in clusters):
            st.info(
                md_line(f"No answers stored for {here} yet. All clusters shows the runs on the others.", 300)
            )
        else:
            st.info("No answers stored yet. Ask a question on the Chat page or run a runbook.")
        return
    st.dataframe(overview(runs), hide_index=True, width="stretch", key="history-table")
    _compare(store, runs)
    labels = {run.id: _label(run) for run in runs}
    ids = list(labels)
    # kept by hand: a new run changes the options (and the widget); a permalink (?run=N) opens its run
    wanted = opened_run() or st.session_state.get(OPENED)
    chosen = st.selectbox(
        "Open",
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        format_func=labels.__getitem__,
        key="history-open",
    )
    st.session_state[OPENED] = chosen
    st.query_params[RUN_PARAM] = str(chosen)  # the address bar is the permalink of the open run
    try:
        opened = store.get_run(chosen)
    except StoreError as exc:
        st.error(md(f"The run cannot be read: {exc}"))
        return
    if opened is not None:
        _opened(store, opened, current)


def _linked(store: HistoryStore, listed: list[StoredRun]) -> StoredRun | None:
    """The run a permalink names (``?run=N``) when the filters do not list it. The page writes the open
    run into the address too; that echo is not a link (else a filter could never hide the run)."""
    run_id = opened_run()
    if run_id is None or run_id == st.session_state.get(OPENED) or any(run.id == run_id for run in listed):
        return None
    try:
        run = store.get_run(run_id)
    except StoreError:
        run = None
    if run is None:
        st.warning(f"Run #{run_id} of the link is not in this history.")
    return run


@st.cache_data(ttl=60, show_spinner=False, max_entries=8)
def filter_choices(database_url: str) -> tuple[list[str], list[str]]:
    """The users and clusters of the latest runs, for the filters (cached: reading them takes a while)."""
    from tools.contracts.settings import Settings

    recent = open_store(Settings(database_url=database_url)).list_runs(limit=CHOICES_FROM)
    return sorted({r.user for r in recent}), sorted({r.cluster for r in recent})


def _filtered(
    store: HistoryStore, users: list[str], clusters: list[str], here: str | None
) -> tuple[list[StoredRun] | None, bool]:
    """The runs that match the filters (None after an error), and whether a filter the person chose is
    set. The cluster filter starts on the sidebar's cluster (``here``)."""
    text_col, surface_col, user_col, cluster_col = st.columns([3, 2, 2, 2])
    text = text_col.text_input("Search", key="history-text", placeholder="words of the question or answer")
    surface = surface_col.selectbox("Surface", [ALL, *SURFACES], key="history-surface")
    user = user_col.selectbox("User", [ALL, *users], key="history-user")
    options = [ALL, *([here] if here else []), *(c for c in clusters if c != here)]
    cluster = cluster_col.selectbox(
        "Cluster",
        options,
        index=1 if here else 0,
        key="history-cluster",
        format_func=lambda c: "All clusters" if c == ALL else f"{c} (this cluster)" if c == here else c,
        help="Runs on the sidebar's cluster by default; choose All clusters to see every run.",
    )
    if here and cluster == here:
        st.caption(md_line(f"Runs on {here}, the cluster in the sidebar. All clusters shows every run.", 300))
    chosen = {
        "text": text.strip() or None,
        "surface": None if surface == ALL else surface,
        "user": None if user == ALL else user,
        "cluster": None if cluster == ALL else cluster,
    }
    try:
        runs = store.list_runs(limit=LISTED, **chosen)
    except StoreError as exc:
        st.error(md(f"The history cannot be read: {exc}"))
        return None, True
    by_choice = any(value is not None for key, value in chosen.items() if key != "cluster")
    return runs, by_choice or chosen["cluster"] not in (None, here)


def _compare(store: HistoryStore, runs: list[StoredRun]) -> None:
    """Compare any two listed runs: what changed, or (other question, other cluster) why that cannot be
    said and their findings side by side."""
    if len(runs) < 2:
        return
    labels = {run.id: _label(run) for run in runs}
    ids = list(labels)
    with st.expander("Compare two runs", icon=":material/compare_arrows:"):
        first_col, second_col = st.columns(2)
        first = first_col.selectbox(
            "Earlier run", ids, index=None, format_func=labels.__getitem__, key="history-compare-a"
        )
        second = second_col.selectbox(
            "Later run", ids, index=None, format_func=labels.__getitem__, key="history-compare-b"
        )
        if first is None or second is None or first == second:
            st.caption("Choose two different runs.")
            return
        try:
            before, after = store.get_run(first), store.get_run(second)
        except StoreError as exc:
            st.error(md(f"The runs cannot be read: {exc}"))
            return
        if before is None or after is None:
            return
        try:
            diff = diff_findings(before.diagnosis, after.diagnosis)
        except ValueError as exc:  # a row written by an older or newer kubewhy
            st.error(md(f"A stored diagnosis cannot be read: {exc}"))
            return
        render_diff(diff, before, "compare", after=after)


def overview(runs: list[StoredRun]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": run.id,
                "when (UTC)": run.recorded_at.strftime("%Y-%m-%d %H:%M"),
                "user": run.user,
                "surface": run.surface,
                "cluster": run.cluster,
                "question": _asked(run),
                "findings": run.findings,
                "top finding": run.top_category or "",
            }
            for run in runs
        ]
    )


def _asked(run: StoredRun) -> str:
    if not run.runbook:
        return run.question
    params = " ".join(f"{k}={v}" for k, v in (run.runbook_params or {}).items() if v is not None)
    return f"runbook {run.runbook} {params}".strip()


def _label(run: StoredRun) -> str:
    asked = _asked(run)
    asked = asked if len(asked) <= 90 else asked[:89] + "…"
    return f"#{run.id} · {run.recorded_at:%Y-%m-%d %H:%M} · {run.cluster} · {run.surface} · {asked}"


def _opened(store: HistoryStore, run: StoredRun, current: shell.Shell) -> None:
    st.markdown(f"**{md(run.question)}**")
    meta = [
        f"run #{run.id}",
        f"{run.recorded_at:%Y-%m-%d %H:%M:%S} UTC",
        f"asked by {run.user}",
        f"from {run.surface}",
        f"on {run.cluster}",
    ]
    if run.runbook:
        meta.append(_asked(run))
    st.caption(md_line(" · ".join(meta), 600))
    try:
        diagnosis = run.diagnosis
    except ValueError as exc:  # a row written by an older or newer kubewhy
        st.error(md(f"The stored diagnosis cannot be read: {exc}"))
        return
    rerun = _run_again(store, run, current)
    if rerun is None:
        _stored(run, diagnosis, current)
        return
    turn, previous_id, replay = rerun
    changed, new, stored = st.tabs(
        [
            "What changed",
            f"New answer (run #{turn.run_id})" if turn.run_id else "New answer",
            f"Stored answer (run #{run.id})",
        ]
    )
    with changed:
        _changes(store, turn, previous_id, run.id)
    with new:
        render_answer(turn, f"hr{run.id}", replay=replay)
    with stored:
        _stored(run, diagnosis, current)


def _stored(run: StoredRun, diagnosis: Diagnosis, current: shell.Shell) -> None:
    render_card(diagnosis, {}, f"h{run.id}")
    render_export(diagnosis, run.id, f"h{run.id}")
    _calls(run)
    if not run.runbook:
        _save(run, current)


def _calls(run: StoredRun) -> None:
    """The audit rows of the run: what was read (the text itself is not stored; the card quotes it)."""
    if not run.calls:
        return
    rows = [
        {
            "evidence": call.evidence_id,
            "tool": call.tool,
            "arguments": " ".join(f"{k}={v}" for k, v in call.args.items()),
            "source": call.source,
            "seconds": round(call.duration_s, 3),
            "output tokens": call.output_tokens,
            "cut": "yes" if call.truncated else "",
            "error": call.error or "",
        }
        for call in run.calls
    ]
    with st.expander(
        f"Tool calls ({len(rows)}): what was read, for whom, when", icon=":material/fact_check:"
    ):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"history-calls-{run.id}")


def _run_again(
    store: HistoryStore, run: StoredRun, current: shell.Shell
) -> tuple[Turn, int | None, bool] | None:
    """The Run-again button; returns the new answer, the run to compare it with and whether it is a
    replay (drawn earlier in this browser session), or None when there is none."""
    session = current.session
    if session is None:
        st.caption(md_line(f"Run again: no cluster is open ({current.failure or 'unknown reason'})."))
        return None
    if session.cluster != run.cluster:
        st.caption(
            md_line(
                f"Run again: this answer is about {run.cluster}; the sidebar's cluster is {session.cluster}."
            )
        )
        return None
    what = "runbook" if run.runbook else "question"
    reruns: dict[int, tuple[Turn, int | None]] = st.session_state.setdefault(RERUNS, {})
    if st.button(
        f"Run this {what} again",
        key=f"history-rerun-{run.id}",
        icon=":material/replay:",
        help="on the cluster in the sidebar, then compare the findings with the last time",
    ):
        turn = _rerun(run, current)
        reruns[run.id] = (turn, _previous_id(store, turn, run))
        return (*reruns[run.id], False)
    if run.id in reruns:
        return (*reruns[run.id], True)
    return None


def _rerun(run: StoredRun, current: shell.Shell) -> Turn:
    session = current.session
    assert session is not None
    if run.runbook:
        try:
            entry = load_library(current.settings).get(run.runbook)
        except (UnknownRunbook, RunbookError) as exc:
            return Turn(question=run.question, error=str(exc), error_kind="invalid runbook")
        return run_in_page(session, entry, run.runbook_params or {}, current.settings)
    turn = investigate(session, run.question, None, None)
    return turn


def _previous_id(store: HistoryStore, turn: Turn, opened: StoredRun) -> int | None:
    """The run to compare the new one with: the last comparable one before it, else the opened one."""
    if turn.diagnosis is None:
        return None
    try:
        new = store.get_run(turn.run_id) if turn.run_id is not None else None
        previous = store.previous_run(new) if new is not None else None
    except StoreError:
        previous = None
    return previous.id if previous is not None else opened.id


def _changes(store: HistoryStore, turn: Turn, previous_id: int | None, key: int) -> None:
    if turn.diagnosis is None or previous_id is None:
        st.info("The new run gave no answer to compare; its error is under New answer.")
        return
    try:
        before = store.get_run(previous_id)
    except StoreError as exc:
        st.error(md(f"The earlier run cannot be read: {exc}"))
        return
    if before is not None:
        render_diff(diff_findings(before.diagnosis, turn.diagnosis), before, f"h{key}")
    if turn.run_id is not None:
        st.caption(f"The new answer is stored as run #{turn.run_id}.")


def _save(run: StoredRun, current: shell.Shell) -> None:
    def make(name: str) -> Runbook:
        return runbook_from_history(run, name)

    save_as_runbook(make, current.settings, f"h{run.id}")
