"""`kubewhy history [list|show ID|diff ID|audit]`: find and reopen past answers, see what changed, and read
the audit log of what the assistant read, for whom and when."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
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

SA_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")

history_app = typer.Typer(
    help="Past answers and runbook runs, what changed since, and the audit log.", invoke_without_command=True
)


@history_app.callback()
def history_default(ctx: typer.Context) -> None:
    """Without a subcommand: the latest answers (same as `kubewhy history list`)."""
    if ctx.invoked_subcommand is None:
        history_list()


ClusterSnapshotOption = Annotated[
    Path | None,
    typer.Option("--snapshot", help="The current cluster is this snapshot's (as `kubewhy ask --snapshot`)"),
]  # no -s: that is --search here


@history_app.command("list")
def history_list(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many")] = 20,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's")] = None,
    surface: Annotated[
        str | None, typer.Option("--surface", help="cli, page, slack, runbook or alerts")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Only this cluster (default: the current one)")
    ] = None,
    all_clusters: Annotated[
        bool, typer.Option("--all-clusters", "-A", help="Runs on every cluster, not only the current one")
    ] = False,
    runbook: Annotated[str | None, typer.Option("--runbook", help="Only runs of this runbook")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Words in the question or summary")
    ] = None,
    snapshot: ClusterSnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """The latest answers on the current cluster (the one `kubewhy ask` would read: --snapshot, --context,
    else the current kubeconfig context), newest first; --all-clusters for every cluster."""
    settings = Settings.load()
    if all_clusters and cluster is not None:
        fail("give --cluster NAME or --all-clusters, not both")
    if cluster is None and not all_clusters:
        cluster = current_cluster(settings, snapshot, context, kubeconfig)
        if cluster is None:
            typer.echo(
                "kubewhy: no current cluster (no --snapshot, --context or kubeconfig): runs on every cluster",
                err=True,
            )
    runs = history_call(
        open_history(settings).list_runs,
        limit=limit,
        user=user,
        surface=surface,
        cluster=cluster,
        runbook=runbook,
        text=search,
    )
    if cluster is not None:
        typer.echo(f"kubewhy: runs on {cluster} (--all-clusters for every cluster)", err=True)
    if output is DataOutput.json:
        typer.echo(json.dumps([run.as_dict() for run in runs], indent=2))
        return
    if not runs:
        typer.echo("no answers stored yet" + (f" for {cluster}" if cluster else ""), err=True)
    for run in runs:
        top = f"{run.top_category}" if run.top_category else "nothing wrong found"
        when = run.recorded_at.strftime("%Y-%m-%d %H:%M")
        cost = format_cost(run.cost_usd)
        cost = f"  {cost}" if cost else ""
        typer.echo(
            f"{run.id:>5}  {when}  {run.user}@{run.surface}  {run.cluster}  {_asked(run)}  -> {top}{cost}"
        )


def current_cluster(
    settings: Settings, snapshot: Path | None, context: str | None, kubeconfig: str | None
) -> str | None:
    """The name runs on the cluster `kubewhy ask` would read with these options are stored under, found
    without connecting, as ``open_kube`` names it: the snapshot's name, the context given, the pod's own
    cluster ("in-cluster"), else the kubeconfig's current context (None: no kubeconfig to read)."""
    snapshot = snapshot or (Path(settings.snapshot) if settings.snapshot else None)
    if snapshot is not None:
        from tools.snapshot.loader import SnapshotError, load_snapshot

        try:
            return load_snapshot(snapshot).meta.name
        except SnapshotError as exc:
            fail(f"--snapshot {exc}")
    context, kubeconfig = context or settings.context, kubeconfig or settings.kubeconfig
    if context:
        return context
    if not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST") and SA_TOKEN.is_file():
        return "in-cluster"
    from kubernetes.config import list_kube_config_contexts

    from tools.kubernetes.kubeconfig import kubeconfig_location

    try:
        _, current = list_kube_config_contexts(config_file=kubeconfig_location(kubeconfig))
    except Exception:  # no kubeconfig, or not one: there is no current cluster to filter on
        return None
    return (current or {}).get("name") or "cluster"


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
    run_id: Annotated[int, typer.Argument(help="Answer id to compare with (kubewhy history list)")],
    other: Annotated[
        int | None, typer.Argument(help="A second stored answer: compare the two, nothing runs")
    ] = None,
    against: Annotated[
        int | None,
        typer.Option("--against", help="Same as the second id: compare with this stored answer"),
    ] = None,
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    llm: Annotated[
        LlmChoice | None, typer.Option("--llm", help="auto, none (built-in), openai, azure")
    ] = None,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """Compare two stored answers (`diff A B`), or run a past answer's runbook (or question) again and show
    what changed: findings added, resolved, unchanged. When the two asked different questions or are about
    different clusters, it says so and lists the findings side by side: nothing is called resolved that the
    other run did not look for."""
    from app.store import diff_findings

    if other is not None and against is not None and other != against:
        fail(f"compare #{run_id} with one answer: #{other} or --against {against}, not both")
    second = other if other is not None else against
    settings = Settings.load(llm=llm.value if llm else None)
    before = _get(settings, run_id)
    if second is not None:
        stored = _get(settings, second)
        after_id, after = second, stored.diagnosis
        heading = [_heading(before), _heading(stored)]
    else:
        after_id, after = _run_again(
            settings, before, snapshot, context, kubeconfig, quiet=output is DataOutput.json
        )
        heading = [
            _heading(before),
            f"#{after_id if after_id is not None else '(new)'}  now  on {after.cluster}",
        ]
    change = diff_findings(before.diagnosis, after)
    if output is DataOutput.json:
        doc = {"before": before.id, "after": after_id, "clusters": [before.cluster, after.cluster]}
        typer.echo(json.dumps({**doc, **change.as_dict()}, indent=2))
        return
    typer.echo("\n".join(heading))
    typer.echo(change_text(before.id, after_id, change))


def _heading(run: Any) -> str:
    return f"#{run.id}  {run.recorded_at:%Y-%m-%d %H:%M}  on {run.cluster}  {_asked(run)}"


def _asked(run: Any) -> str:
    return f"runbook {run.runbook} {_params(run.runbook_params)}".rstrip() if run.runbook else run.question


def _run_again(
    settings: Settings, before: Any, snapshot: Any, context: Any, kubeconfig: Any, *, quiet: bool
) -> tuple[int | None, Any]:
    from app.engine import Asker, ask

    with cli_session(settings, snapshot, context, kubeconfig, quiet=quiet) as session:
        if before.runbook:
            from app.runbooks import BadParam, RunbookError, run_runbook

            entry = runbook_entry(settings, before.runbook)
            try:
                run = run_runbook(session, entry, before.runbook_params or {}, asked_by=Asker("runbook"))
            except (BadParam, RunbookError) as exc:
                fail(f"runbook {before.runbook} cannot run again: {exc}")
            return run.run_id, run.diagnosis
        answer = ask(session, before.question, asked_by=Asker("cli"))
        return answer.run_id, answer.diagnosis


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
