"""`kubewhy history [list|show ID|diff ID|audit]`: find and reopen past answers, see what changed, and read
the audit log of what the assistant read, for whom and when."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from app.agent.pricing import format_cost
from app.commands.common import (
    AnswerOutput,
    AnswerOutputOption,
    ContextOption,
    DataOutput,
    DataOutputOption,
    KubeconfigOption,
    LlmChoice,
    SnapshotOption,
    cli_session,
    fail,
    history_call,
    open_history,
)
from app.commands.runs import change_text, runbook_entry
from tools.contracts.settings import Settings
from tools.contracts.wording import plural

history_app = typer.Typer(
    help="Past answers and runbook runs, what changed since, and the audit log.", invoke_without_command=True
)


@history_app.callback()
def history_default(ctx: typer.Context) -> None:
    """Without a subcommand: the latest answers (same as `kubewhy history list`)."""
    if ctx.invoked_subcommand is None:
        history_list()


@history_app.command("list")
def history_list(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many")] = 20,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's")] = None,
    surface: Annotated[
        str | None, typer.Option("--surface", help="cli, page, slack, runbook or alerts")
    ] = None,
    cluster: Annotated[str | None, typer.Option("--cluster", help="Only this cluster")] = None,
    runbook: Annotated[str | None, typer.Option("--runbook", help="Only runs of this runbook")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Words in the question or summary")
    ] = None,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """The latest answers, newest first."""
    store = open_history(Settings.load())
    runs = history_call(
        store.list_runs,
        limit=limit,
        user=user,
        surface=surface,
        cluster=cluster,
        runbook=runbook,
        text=search,
    )
    if output is DataOutput.json:
        typer.echo(json.dumps([run.as_dict() for run in runs], indent=2))
        return
    if not runs:
        typer.echo("no answers stored yet", err=True)
    for run in runs:
        what = f"runbook {run.runbook}" if run.runbook else run.question
        top = f"{run.top_category}" if run.top_category else "nothing wrong found"
        when = run.recorded_at.strftime("%Y-%m-%d %H:%M")
        cost = format_cost(run.cost_usd)
        cost = f"  {cost}" if cost else ""
        typer.echo(f"{run.id:>5}  {when}  {run.user}@{run.surface}  {run.cluster}  {what}  -> {top}{cost}")


@history_app.command("show")
def history_show(
    what: Annotated[str, typer.Argument(help="Answer id (kubewhy history list), or a thread name")],
    output: AnswerOutputOption = AnswerOutput.text,
) -> None:
    """Reopen a past answer (the diagnosis as it was given, and every tool call behind it), or list the
    turns of a conversation kept with `kubewhy ask --thread NAME`."""
    from app.render import render_markdown, render_text

    if not what.isdigit():
        _show_thread(Settings.load(), what, output)
        return
    run_id = int(what)
    run = _get(Settings.load(), run_id)
    if output is AnswerOutput.json:
        typer.echo(json.dumps(run.as_dict(full=True), indent=2))
        return
    if output is AnswerOutput.markdown:
        typer.echo(render_markdown(run.diagnosis))
        return
    what = f"runbook {run.runbook} {_params(run.runbook_params)}".rstrip() if run.runbook else "question"
    typer.echo(
        f"#{run.id} {what} asked by {run.user} from {run.surface} on {run.cluster} at {_iso(run.recorded_at)}"
    )
    typer.echo(render_text(run.diagnosis))
    typer.echo(f"\nTool calls ({len(run.calls)}):")
    for call in run.calls:
        status = (
            f"error: {call.error}"
            if call.error
            else f"{call.output_chars} chars, {call.output_tokens} tokens"
        )
        typer.echo(f"  [{call.evidence_id}] {call.tool} {json.dumps(call.args, sort_keys=True)}  {status}")


@history_app.command("diff")
def history_diff(
    run_id: Annotated[int, typer.Argument(help="Answer id to compare with")],
    against: Annotated[
        int | None,
        typer.Option("--against", help="Compare with this later stored answer instead of running again"),
    ] = None,
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    llm: Annotated[
        LlmChoice | None, typer.Option("--llm", help="auto, none (built-in), openai, azure")
    ] = None,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """Run a past answer's runbook (or question) again and show what changed: findings added, resolved,
    unchanged. With --against, compare two stored answers without running anything."""
    from app.store import diff_findings

    settings = Settings.load(llm=llm.value if llm else None)
    before = _get(settings, run_id)
    if against is not None:
        after_id, after = against, _get(settings, against).diagnosis
    else:
        after_id, after = _run_again(
            settings, before, snapshot, context, kubeconfig, quiet=output is DataOutput.json
        )
    change = diff_findings(before.diagnosis, after)
    if output is DataOutput.json:
        typer.echo(json.dumps({"before": before.id, "after": after_id, **change.as_dict()}, indent=2))
        return
    typer.echo(change_text(before.id, after_id, change))


def _run_again(
    settings: Settings, before: Any, snapshot: Any, context: Any, kubeconfig: Any, *, quiet: bool
) -> tuple[int | None, Any]:
    from app.engine import ask
    from app.store import current_user, record_answer_safely
    from tools.contracts.evidence import Ledger

    with cli_session(settings, snapshot, context, kubeconfig, quiet=quiet) as session:
        if before.runbook:
            from app.runbooks import BadParam, RunbookError, run_runbook

            entry = runbook_entry(settings, before.runbook)
            try:
                run = run_runbook(session, entry, before.runbook_params or {}, surface="runbook")
            except (BadParam, RunbookError) as exc:
                fail(f"runbook {before.runbook} cannot run again: {exc}")
            return run.run_id, run.diagnosis
        started, ledger = datetime.now(UTC), Ledger()
        diagnosis = ask(session, before.question, ledger=ledger)
        run_id = record_answer_safely(
            settings,
            user=current_user(),
            surface="cli",
            cluster=session.cluster,
            question=before.question,
            diagnosis=diagnosis,
            ledger=ledger,
            started_at=started,
        )
        return run_id, diagnosis


@history_app.command("audit")
def history_audit(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 50,
    user: Annotated[str | None, typer.Option("--user", help="Only calls made for this user")] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Only this tool")] = None,
    run: Annotated[int | None, typer.Option("--run", help="Only the calls behind this answer")] = None,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """The audit log: what the assistant read, for whom, when (newest first)."""
    entries = history_call(open_history(Settings.load()).audit, limit=limit, user=user, tool=tool, run_id=run)
    if output is DataOutput.json:
        typer.echo(json.dumps([e.as_dict() for e in entries], indent=2))
        return
    for e in entries:
        args = json.dumps(e.args, sort_keys=True)
        typer.echo(f"{_iso(e.recorded_at)}  {e.user}@{e.surface}  {e.cluster}  #{e.run_id}  {e.tool} {args}")


def _show_thread(settings: Settings, thread: str, output: AnswerOutput) -> None:
    runs = history_call(open_history(settings).thread_runs, thread)
    if not runs:
        fail(f"no thread called {thread!r} in the history (kubewhy ask QUESTION --thread {thread})")
    if output is AnswerOutput.json:
        turns = [{**run.as_dict(), "answer": run.diagnosis_json.get("answer")} for run in runs]
        typer.echo(json.dumps({"thread": thread, "turns": turns}, indent=2))
        return
    typer.echo(f"thread {thread}: {plural(len(runs), 'turn')}")
    for number, run in enumerate(runs, start=1):
        answer = (run.diagnosis_json.get("answer") or {}).get("text") or run.summary
        typer.echo(f"{number}. #{run.id} {_iso(run.recorded_at)} {run.user}@{run.surface} {run.cluster}")
        typer.echo(f"   Q: {run.question}")
        typer.echo(f"   A: {answer}")


def _get(settings: Settings, run_id: int) -> Any:
    run = history_call(open_history(settings).get_run, run_id)
    if run is None:
        fail(f"no answer with id {run_id} in the history (kubewhy history list)")
    return run


def _params(params: dict[str, Any] | None) -> str:
    return " ".join(f"{k}={v}" for k, v in (params or {}).items() if v is not None)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
