"""`kubewhy runbook list|show|run|validate|save|schema`: saved investigations from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.commands.common import (
    EXIT_SOURCE_FAILED,
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
from app.commands.runs import print_change_since_last, runbook_entry, runbook_library
from tools.contracts.settings import Settings
from tools.contracts.wording import plural

runbook_app = typer.Typer(
    help="Saved diagnostic runbooks: list, show, run, validate, save.", no_args_is_help=True
)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``key=value`` words as a dict; anything else is bad input."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"expected key=value, got {item!r}")
        values[key.strip()] = value
    return values


@runbook_app.command("list")
def runbook_list(output: DataOutputOption = DataOutput.text) -> None:
    """The bundled runbooks and the user's (a user runbook with a bundled name overrides it)."""
    library = runbook_library(Settings.load())
    entries = library.sorted()
    if output is DataOutput.json:
        doc = [
            {
                "name": e.runbook.name,
                "title": e.runbook.title,
                "description": e.runbook.description,
                "params": [
                    {"name": p.name, "required": p.required, "default": p.default} for p in e.runbook.params
                ],
                "origin": e.origin,
                "overrides_bundled": e.overrides,
                "path": str(e.path),
            }
            for e in entries
        ]
        typer.echo(json.dumps(doc, indent=2))
        return
    width = max((len(e.name) for e in entries), default=10)
    for e in entries:
        origin = "user, overrides bundled" if e.overrides else e.origin
        params = " ".join(_param_hint(p) for p in e.runbook.params)
        typer.echo(f"{e.name:<{width}}  {e.runbook.title}  [{origin}]  {params}".rstrip())


@runbook_app.command("show")
def runbook_show(
    name: Annotated[str, typer.Argument(help="Runbook name (kubewhy runbook list)")],
    output: DataOutputOption = DataOutput.text,
) -> None:
    """Print a runbook: where it comes from, its parameters and steps (as YAML)."""
    from app.runbooks import runbook_yaml

    entry = runbook_entry(Settings.load(), name)
    if output is DataOutput.json:
        doc = {**entry.runbook.model_dump(mode="json"), "origin": entry.origin, "path": str(entry.path)}
        doc["overrides_bundled"] = entry.overrides
        typer.echo(json.dumps(doc, indent=2))
        return
    origin = "user runbook, overrides the bundled one" if entry.overrides else f"{entry.origin} runbook"
    typer.echo(f"# {entry.path} ({origin})")
    typer.echo(runbook_yaml(entry.runbook).rstrip())


@runbook_app.command("run")
def runbook_run(
    name: Annotated[str, typer.Argument(help="Runbook name (kubewhy runbook list)")],
    params: Annotated[list[str] | None, typer.Argument(help="Parameters as key=value")] = None,
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    output: AnswerOutputOption = AnswerOutput.text,
    llm: Annotated[
        LlmChoice | None, typer.Option("--llm", help="auto, none (built-in), openai, azure")
    ] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Also show what changed since the last run")] = False,
) -> None:
    """Run a runbook and print the diagnosis (contracts section 2 with --output json)."""
    from app.engine import Asker
    from app.render import render_markdown, render_text, snapshot_note
    from app.runbooks import BadParam, RunbookError, resolve_params, run_runbook
    from app.runbooks.runner import check_ready

    settings = Settings.load(llm=llm.value if llm else None)
    entry = runbook_entry(settings, name)
    values = parse_assignments(params or [])
    try:  # refuse bad input before connecting to anything
        check_ready(entry.runbook, resolve_params(entry.runbook, values), str(entry.path))
    except BadParam as exc:
        fail(str(exc))
    except RunbookError as exc:
        fail(f"runbook {name} was not run:\n{exc}")
    with cli_session(settings, snapshot, context, kubeconfig, quiet=output is AnswerOutput.json) as session:
        if session.ctx.kube is None:
            fail("the Kubernetes API could not be read", EXIT_SOURCE_FAILED)
        typer.echo(f"… running runbook {name} with {session.engine_label} on {session.cluster}", err=True)
        run = run_runbook(session, entry, values, asked_by=Asker("runbook"))
        note = snapshot_note(session.snapshot_meta)
    if output is AnswerOutput.json:
        typer.echo(run.diagnosis.model_dump_json(indent=2))
    elif output is AnswerOutput.markdown:
        typer.echo(render_markdown(run.diagnosis, note))
    else:
        typer.echo(render_text(run.diagnosis, note))
    if diff and run.run_id is not None:
        print_change_since_last(settings, run.run_id)


@runbook_app.command("validate")
def runbook_validate(
    files: Annotated[list[Path], typer.Argument(help="Runbook YAML files")],
    output: DataOutputOption = DataOutput.text,
) -> None:
    """Check runbook files: every problem with its file and line; exit 1 if there is any."""
    from app.runbooks import RunbookError, load_file

    problems = []
    for path in files:
        if not path.is_file():
            fail(f"{path}: no such file")
        try:
            load_file(path)
        except RunbookError as exc:
            problems.extend(exc.problems)
    if output is DataOutput.json:
        typer.echo(json.dumps({"ok": not problems, "problems": [p.as_dict() for p in problems]}, indent=2))
    else:
        for problem in problems:
            typer.echo(str(problem))
        verdict = "ok" if not problems else f"{plural(len(problems), 'problem')}"
        typer.echo(f"{plural(len(files), 'runbook file')}: {verdict}", err=bool(problems))
    raise typer.Exit(1 if problems else 0)


@runbook_app.command("save")
def runbook_save(
    from_history: Annotated[
        int, typer.Option("--from-history", help="Id of a stored answer (kubewhy history)")
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the new runbook, e.g. checkout-db")],
    title: Annotated[str | None, typer.Option("--title", help="Title (default: the question)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file")] = False,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """Turn a past answer into a runbook: its tool calls become steps, names from the question parameters."""
    from app.runbooks import BadParam, RunbookError, runbook_from_history, save_runbook

    settings = Settings.load()
    run = history_call(open_history(settings).get_run, from_history)
    if run is None:
        fail(f"--from-history {from_history}: no such answer in the history (kubewhy history list)")
    try:
        runbook = runbook_from_history(run, name, title=title)
        path = save_runbook(runbook, settings, overwrite=overwrite)
    except BadParam as exc:
        fail(str(exc))
    except RunbookError as exc:
        fail(f"the saved runbook would not be valid:\n{exc}")
    if output is DataOutput.json:
        doc = {"name": runbook.name, "path": str(path), "params": [p.name for p in runbook.params]}
        typer.echo(json.dumps({**doc, "steps": len(runbook.steps)}, indent=2))
        return
    params = " ".join(f"{p.name}=..." for p in runbook.params)
    typer.echo(
        f"saved {path} ({plural(len(runbook.steps), 'step')}); run it with: kubewhy runbook run "
        f"{name} {params}"
    )


@runbook_app.command("schema")
def runbook_schema() -> None:
    """Print the runbook JSON schema (published as docs/runbook.schema.json)."""
    from app.runbooks.schema import schema_text

    typer.echo(schema_text().rstrip())


def _param_hint(param: Any) -> str:
    if param.required:
        return f"{param.name}=?"
    return f"[{param.name}]" if param.default is None else f"{param.name}={param.default}"
