"""Edit a runbook's YAML on the page: Validate lists every problem with its line (the same checks as
``kubewhy runbook validate``), Save writes the text as typed (comments kept) to the user's runbook folder
once it validates. A saved runbook with a bundled name overrides the bundled one."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.runbooks import LoadedRunbook, Runbook, RunbookError, load_text, user_runbooks_dir
from app.ui.safe import md
from app.ui.save_runbook import folder_note
from tools.contracts.settings import Settings
from tools.contracts.wording import plural

MONOSPACE = (
    '<style>[class*="st-key-rb-yaml-"] textarea { font-family: "Source Code Pro", monospace; }</style>'
)


def render_editor(entry: LoadedRunbook, settings: Settings) -> None:
    file = entry.path.name
    st.html(MONOSPACE)  # YAML reads best with aligned columns
    text = st.text_area(
        "Runbook YAML",
        value=_read(entry.path),
        height=420,
        key=f"rb-yaml-{entry.name}",
        help="Change name: to save a copy as a new runbook. The format: docs/runbooks.md.",
    )
    st.caption(md(f"Editing {entry.path} ({entry.origin}). ") + folder_note(settings))
    validate, save, overwrite = _buttons(entry)
    if not (validate or save):
        return
    runbook = validate_text(text, file)
    if runbook is None or not save:
        return
    target = save_target(entry, runbook, settings)
    if target.exists() and target != entry.path and not overwrite:
        st.error(md(f"{target} exists already; tick 'Replace an existing file' or change name:."))
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        st.error(md(f"The runbook could not be written: {exc}"))
        return
    note = " It overrides the bundled runbook of that name." if _bundled(runbook.name) else ""
    st.success(md(f"Saved {target}.{note}"))


def _buttons(entry: LoadedRunbook) -> tuple[bool, bool, bool]:
    with st.container(horizontal=True, vertical_alignment="center"):
        validate = st.button("Validate", key=f"rb-validate-{entry.name}", icon=":material/rule:")
        save = st.button("Save", key=f"rb-save-{entry.name}", icon=":material/save:", type="primary")
        overwrite = st.checkbox("Replace an existing file", key=f"rb-overwrite-{entry.name}")
    return validate, save, overwrite


def validate_text(text: str, file: str) -> Runbook | None:
    """The runbook, with a success line; or None after one error per problem (``file:line: reason``)."""
    try:
        runbook = load_text(text, file)
    except RunbookError as exc:
        count = len(exc.problems)
        st.error(f"**{count} problem{'s' if count != 1 else ''}** — nothing was saved")
        for problem in exc.problems:
            st.error(md(str(problem)))
        return None
    st.success(
        md(
            f"Valid: runbook {runbook.name} with {plural(len(runbook.params), 'parameter')} "
            f"and {plural(len(runbook.steps), 'step')}."
        )
    )
    return runbook


def save_target(entry: LoadedRunbook, runbook: Runbook, settings: Settings) -> Path:
    """The user's own file of that runbook if it is the one being edited, else NAME.yaml in their folder."""
    if entry.origin == "user" and entry.name == runbook.name:
        return entry.path
    return user_runbooks_dir(settings) / f"{runbook.name}.yaml"


def _bundled(name: str) -> bool:
    from app.runbooks import load_library

    return name in load_library(None).runbooks


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"# cannot read {path}: {exc}\n"
