"""The `kubewhy` command line. Machine-readable output on stdout, progress and logs on stderr.

Exit status (contracts section 4): 0 success, 2 bad input (one clear line on stderr), 3 a data source
failed so badly that nothing could be produced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app import __version__
from app.commands.alerts_cmd import alerts_command
from app.commands.ask import ask_command
from app.commands.capture import snapshot_capture
from app.commands.common import EXIT_BAD_INPUT, DataOutput, fail
from app.commands.history_cmd import history_app
from app.commands.mcp_cmd import mcp_command
from app.commands.models_cmd import models_app
from app.commands.runbook_cmd import runbook_app
from app.commands.slack_cmd import slack_command
from app.commands.snapshot_import import snapshot_import
from app.commands.snapshot_serve import snapshot_serve
from app.commands.tools_cmd import tools_app
from app.commands.ui_cmd import demo_command, ui_command
from tools.contracts.wording import plural

app = typer.Typer(
    name="kubewhy",
    help="Ask why something is wrong in a Kubernetes cluster; get a diagnosis with the evidence. Read-only.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
snapshot_app = typer.Typer(help="Check, serve, capture and import cluster snapshots.", no_args_is_help=True)
app.add_typer(snapshot_app, name="snapshot")
snapshot_app.command("serve")(snapshot_serve)
snapshot_app.command("capture")(snapshot_capture)
snapshot_app.command("import")(snapshot_import)
app.add_typer(models_app, name="models")
app.command("ask")(ask_command)
app.command("demo")(demo_command)
app.command("ui")(ui_command)
app.add_typer(tools_app, name="tools")
app.command("slack")(slack_command)
app.command("alerts")(alerts_command)
app.add_typer(runbook_app, name="runbook")
app.add_typer(history_app, name="history")
app.command("mcp")(mcp_command)


@app.command()
def version() -> None:
    """Print the kubewhy version."""
    typer.echo(f"kubewhy {__version__}")


@snapshot_app.command("check")
def snapshot_check(
    path: Annotated[Path, typer.Argument(help="Snapshot directory or .tar.gz")],
    output: Annotated[DataOutput, typer.Option("--output", "-o")] = DataOutput.text,
) -> None:
    """Validate a snapshot: every problem with its file and line; exit 1 if there is any."""
    from tools.snapshot.loader import SnapshotError, load_snapshot
    from tools.snapshot.validate import validate_snapshot

    try:
        snapshot = load_snapshot(path)
    except SnapshotError as exc:
        if output is DataOutput.json:
            doc = {"ok": False, "problems": [{"file": str(path), "line": None, "message": str(exc)}]}
            typer.echo(json.dumps(doc, indent=2))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        fail(str(exc))
    problems = validate_snapshot(snapshot)
    if output is DataOutput.json:
        doc = {
            "ok": not problems,
            "problems": [{"file": p.file, "line": p.line, "message": p.message} for p in problems],
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        for problem in problems:
            typer.echo(str(problem))
        counts = (
            f"{plural(len(snapshot.resource_files), 'resource file')}, {plural(len(snapshot.logs), 'log')}, "
        )
        counts += f"{plural(len(snapshot.metrics_files), 'metrics file')}, "
        counts += plural(len(snapshot.flow_files), "flow file")
        verdict = "ok" if not problems else f"{plural(len(problems), 'problem')}"
        typer.echo(f"{snapshot.meta.name}: {verdict} ({counts})", err=bool(problems))
    raise typer.Exit(1 if problems else 0)


def main() -> None:
    from tools.contracts.settings import ConfigError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except ConfigError as exc:
        typer.echo(f"kubewhy: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
