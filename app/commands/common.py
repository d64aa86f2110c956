"""What every cluster-reading command shares: the --snapshot/--context options and opening a session with
errors turned into the contract's exit codes (2 bad input, 3 a source failed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from app.engine import Session
from app.sessions import Target
from tools.contracts.settings import Settings

EXIT_BAD_INPUT = 2
EXIT_SOURCE_FAILED = 3

SnapshotOption = Annotated[
    Path | None,
    typer.Option(
        "--snapshot",
        "-s",
        help="Snapshot directory or .tar.gz to diagnose; a support bundle, cluster-info dump, must-gather "
        "or kubectl -o json|yaml output is imported on the fly",
    ),
]
ContextOption = Annotated[str | None, typer.Option("--context", help="kubeconfig context (default: current)")]
KubeconfigOption = Annotated[str | None, typer.Option("--kubeconfig", help="kubeconfig file")]


class LlmChoice(StrEnum):
    auto = "auto"
    none = "none"
    openai = "openai"
    azure = "azure"


class DataOutput(StrEnum):
    """--output for listings and records."""

    text = "text"
    json = "json"


class AnswerOutput(StrEnum):
    """--output for a diagnosis: also Markdown, for pasting into a ticket."""

    text = "text"
    json = "json"
    markdown = "markdown"


DataOutputOption = Annotated[DataOutput, typer.Option("--output", "-o")]
AnswerOutputOption = Annotated[AnswerOutput, typer.Option("--output", "-o")]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    from tools.inert import plain  # a message may quote a hostile name: nothing reaches the terminal raw

    typer.echo(f"kubewhy: {plain(message)}", err=True)
    raise typer.Exit(code)


def open_history(settings: Settings) -> Any:
    """The history store, or exit 3 with its error in one line."""
    from app.store import StoreError, open_store

    try:
        return open_store(settings)
    except StoreError as exc:
        fail(str(exc), EXIT_SOURCE_FAILED)


def history_call(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` on the history store; a StoreError exits 3 with one line."""
    from app.store import StoreError

    try:
        return call(*args, **kwargs)
    except StoreError as exc:
        fail(str(exc), EXIT_SOURCE_FAILED)


def stderr_progress(message: str) -> None:
    from tools.inert import plain

    typer.echo(f"… {plain(message)}", err=True)


@contextmanager
def cli_session(
    settings: Settings,
    snapshot: Path | None,
    context: str | None,
    kubeconfig: str | None,
    quiet: bool = False,
) -> Iterator[Session]:
    """Open a session for a command; bad input exits 2 with one line, an unreachable cluster exits 3."""
    from tools.contracts.tool import ToolError
    from tools.snapshot.loader import SnapshotError

    if snapshot is not None and not snapshot.exists():
        fail(f"--snapshot {snapshot}: no such file or directory")
    if kubeconfig is not None and not Path(kubeconfig).is_file():
        fail(f"--kubeconfig {kubeconfig}: no such file")
    try:
        target = Target(snapshot=str(snapshot) if snapshot else None, context=context, kubeconfig=kubeconfig)
        session = target.open(settings, None if quiet else stderr_progress)
    except SnapshotError as exc:
        fail(f"--snapshot {exc}")
    except ToolError as exc:
        fail(str(exc), EXIT_BAD_INPUT if "kubeconfig" in str(exc).lower() else EXIT_SOURCE_FAILED)
    with session:
        yield session
