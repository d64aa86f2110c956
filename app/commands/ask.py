"""`kubewhy ask QUESTION`: diagnose, print the answer (text, Markdown, or the contracts-section-2 JSON)."""

from __future__ import annotations

from typing import Annotated

import typer

from app.commands.common import (
    EXIT_SOURCE_FAILED,
    AnswerOutput,
    AnswerOutputOption,
    ContextOption,
    KubeconfigOption,
    LlmChoice,
    SnapshotOption,
    cli_session,
    fail,
)
from app.engine import Asker, BadQuestion, ask, check_question
from tools.contracts.diagnosis import SourceFailed
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolError


def ask_command(
    question: Annotated[str, typer.Argument(help='The question, e.g. "why is checkout failing?"')],
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    namespace: Annotated[str | None, typer.Option("--namespace", "-n", help="Limit to one namespace")] = None,
    output: AnswerOutputOption = AnswerOutput.text,
    llm: Annotated[
        LlmChoice | None, typer.Option("--llm", help="auto, none (built-in), openai, azure")
    ] = None,
    thread: Annotated[
        str | None,
        typer.Option(
            "--thread", help="Conversation name: the question follows its earlier turns (history store)"
        ),
    ] = None,
) -> None:
    """Diagnose a question about the cluster and print the answer with its evidence."""
    from app.render import render_markdown, render_text, snapshot_note

    settings = Settings.load(llm=llm.value if llm else None)
    try:
        check_question(question, settings)
    except BadQuestion as exc:
        fail(str(exc))
    with cli_session(settings, snapshot, context, kubeconfig) as session:
        try:  # an unreachable API without --namespace surfaces as SourceFailed from the diagnosis below
            if namespace is not None and session.ctx.kube.find_object("Namespace", namespace) is None:
                fail(f"--namespace {namespace}: no such namespace in {session.cluster}")
        except ToolError as exc:
            fail(f"the Kubernetes API of {session.cluster} cannot be read: {exc}", EXIT_SOURCE_FAILED)
        typer.echo(f"… asking {session.engine_label} about {session.cluster}", err=True)
        from app.store import StoreError, last_turn

        previous = None
        if thread is not None:
            if not thread.strip() or len(thread) > 200:
                fail("--thread: give a name of 1 to 200 characters")
            try:
                previous = last_turn(settings, thread, session.cluster)
            except StoreError as exc:
                fail(f"--thread {thread}: the history store cannot be read: {exc}")
        asker = Asker(surface="cli", thread=thread)
        try:  # a history failure is a warning on stderr; the answer is still printed
            answer = ask(
                session, question, namespace=namespace, previous=previous, asked_by=asker, thread=thread
            )
        except SourceFailed as exc:
            fail(str(exc), EXIT_SOURCE_FAILED)
        diagnosis = answer.diagnosis
        note = snapshot_note(session.snapshot_meta)
    if output is AnswerOutput.json:
        typer.echo(diagnosis.model_dump_json(indent=2))
    elif output is AnswerOutput.markdown:
        typer.echo(render_markdown(diagnosis, note))
    else:
        typer.echo(render_text(diagnosis, note))
