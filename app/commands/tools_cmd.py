"""`kubewhy tools list` and `kubewhy tools call NAME --args JSON`: the tool registry on the command line,
for people checking what the agent saw and for scripts (contracts section 4)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from app.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_SOURCE_FAILED,
    ContextOption,
    DataOutput,
    DataOutputOption,
    KubeconfigOption,
    SnapshotOption,
    cli_session,
    fail,
)
from tools.contracts.settings import Settings

tools_app = typer.Typer(
    help="List and call kubewhy's read-only tools, as the agent would.", no_args_is_help=True
)


@tools_app.command("list")
def tools_list(
    output: DataOutputOption = DataOutput.text,
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
) -> None:
    """The registered tools with their parameters (no cluster is contacted)."""
    from app.toolset import all_tools

    specs = all_tools()
    if output is DataOutput.json:
        doc = [
            {"name": s.name, "source": s.source, "description": s.description, "parameters": s.json_schema()}
            for s in specs
        ]
        typer.echo(json.dumps(doc, indent=2))
        return
    for spec in specs:
        schema = spec.json_schema()
        required = set(schema.get("required") or [])
        params = ", ".join(
            f"{name}{'' if name in required else '?'}" for name in (schema.get("properties") or {})
        )
        typer.echo(f"{spec.name} [{spec.source}] ({params})")
        typer.echo(f"    {spec.description}")


def _parse_args(raw: str) -> dict[str, Any]:
    try:
        args = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"--args is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(args, dict):
        fail(f'--args must be a JSON object like \'{{"namespace": "shop"}}\', not {type(args).__name__}')
    return args


@tools_app.command("call")
def tools_call(
    name: Annotated[str, typer.Argument(help="Tool name (see `kubewhy tools list`)")],
    args: Annotated[str, typer.Option("--args", "-a", help="Tool arguments as a JSON object")] = "{}",
    output: DataOutputOption = DataOutput.text,
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    budget: Annotated[
        int | None, typer.Option("--budget", help="Token budget of the tool's text (default: settings)")
    ] = None,
) -> None:
    """Run one tool and print exactly what a model would read (or the JSON record with --output json)."""
    from pydantic import ValidationError

    from app.toolset import call_tool, get_tool
    from tools.contracts.tool import ToolError

    arguments = _parse_args(args)
    try:
        spec = get_tool(name)
    except ToolError as exc:
        fail(str(exc))
    try:
        spec.params.model_validate(arguments)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid arguments for {name}: {problems}")
    settings = Settings.load(tool_output_tokens=budget)
    with cli_session(settings, snapshot, context, kubeconfig, quiet=output is DataOutput.json) as session:
        result = call_tool(session.ctx, name, arguments)
    if output is DataOutput.json:
        doc = result.model_dump(include={"tool", "args", "source", "text", "data", "truncated"}, mode="json")
        typer.echo(json.dumps(doc, indent=2, default=str))
    else:
        typer.echo(result.text)
    if result.error is not None:
        if output is DataOutput.json:
            typer.echo(f"kubewhy: {result.error}", err=True)
        raise typer.Exit(EXIT_SOURCE_FAILED)


__all__ = ["EXIT_BAD_INPUT", "tools_app"]
