"""`kubewhy models check`: does the configured model answer, and can it call tools?"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from app.commands.common import EXIT_BAD_INPUT

EXIT_NOT_OK = 1

models_app = typer.Typer(help="Check the configured language model.", no_args_is_help=True)


@models_app.command("check")
def models_check(
    output: Annotated[str, typer.Option("--output", "-o", help="text or json")] = "text",
) -> None:
    """Say whether the configured model answers and supports tool calling (exit 1 if not)."""
    from app.agent.models import ModelConfigError, check_model
    from tools.contracts.settings import Settings

    if output not in ("text", "json"):
        typer.echo(f"kubewhy: --output must be text or json, not {output!r}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        report = check_model(Settings.load())
    except ModelConfigError as exc:
        typer.echo(f"kubewhy: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ValueError as exc:  # settings that do not validate (e.g. a bad KUBEWHY_LLM)
        typer.echo(f"kubewhy: invalid model settings: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if output == "json":
        typer.echo(json.dumps(asdict(report) | {"ok": report.ok}, indent=2))
    else:
        typer.echo(f"model: {report.model} ({report.provider}, {report.endpoint})")
        typer.echo(f"answers: {'yes' if report.answers else 'no'} ({report.seconds:g} s)")
        typer.echo(f"tool calling: {'yes' if report.tool_calling else 'no'}")
        if report.error:
            typer.echo(f"problem: {report.error}")
    raise typer.Exit(0 if report.ok else EXIT_NOT_OK)
