"""What the `history` and `runbook` commands share: finding a runbook by name, and saying what changed
between two runs of the same question or runbook."""

from __future__ import annotations

from typing import Any

import typer

from app.commands.common import fail, open_history
from tools.contracts.settings import Settings


def runbook_library(settings: Settings) -> Any:
    """Bundled and user runbooks; an invalid file is skipped with a warning on stderr."""
    from app.runbooks import load_library

    library = load_library(settings)
    for problem in library.problems:
        typer.echo(f"kubewhy: skipped an invalid runbook: {problem}", err=True)
    return library


def runbook_entry(settings: Settings, name: str) -> Any:
    """The runbook called ``name``, or a clear failure (unknown or invalid)."""
    from app.runbooks import RunbookError, UnknownRunbook

    try:
        return runbook_library(settings).get(name)
    except UnknownRunbook as exc:
        fail(str(exc))
    except RunbookError as exc:
        fail(f"runbook {name} is invalid and was not run:\n{exc}")


def print_change_since_last(settings: Settings, run_id: int) -> None:
    """On stderr: what changed since the previous run of the same runbook (used by `runbook run --diff`)."""
    from app.store import StoreError, diff_findings

    try:
        store = open_history(settings)
        current = store.get_run(run_id)
        previous = store.previous_run(current) if current else None
    except StoreError as exc:
        typer.echo(f"kubewhy: warning: cannot compare with the last run: {exc}", err=True)
        return
    if previous is None:
        typer.echo("first run with these parameters: nothing to compare with", err=True)
        return
    typer.echo(
        change_text(previous.id, run_id, diff_findings(previous.diagnosis, current.diagnosis)), err=True
    )


def change_text(before: int, after: int | None, change: Any) -> str:
    """What changed between two runs, finding by finding (added, resolved, unchanged); when the two did
    not check the same thing, why, and the findings of each side by side (never called resolved)."""
    label = f"#{after}" if after is not None else "now"
    if not change.comparable:
        lines = [f"#{before} and {label} cannot be compared finding by finding:"]
        lines.extend(f"  {why}" for why in change.differences)
        lines.append("  so nothing is called added or resolved: a run only finds what it looks for.")
        groups = (
            (f"only in #{before}", change.only_before),
            (f"only in {label}", change.only_after),
            ("in both", change.in_both),
        )
    else:
        lines = [f"Changes since #{before} ({label}):"]
        groups = (("added", change.added), ("resolved", change.resolved), ("unchanged", change.unchanged))
    for word, items in groups:
        lines.append(f"  {word}: {len(items)}")
        lines.extend(f"    - [{f.category}] {f.resource}: {f.title}" for f in items)
    return "\n".join(lines)
