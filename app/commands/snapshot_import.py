"""`kubewhy snapshot import PATH --out DIR`: write a snapshot from what people already have (a
troubleshoot.sh support bundle, a `kubectl cluster-info dump`, an OpenShift must-gather, `kubectl get`
output). Contracts section 4: `--output json` prints the import report; progress stays on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import DataOutput, DataOutputOption, fail
from tools.contracts.wording import plural


def snapshot_import(
    path: Annotated[
        Path,
        typer.Argument(
            help="Support bundle (.tar.gz or folder), cluster-info dump, must-gather, or kubectl output"
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Snapshot directory to write (must not exist or be empty)")
    ],
    name: Annotated[str | None, typer.Option("--name", help="Cluster name in snapshot.yaml")] = None,
    output: DataOutputOption = DataOutput.text,
) -> None:
    """Convert a support bundle, cluster-info dump, must-gather or kubectl output into a snapshot.

    Every file that is not imported is listed with the reason. Without a capture time in the input, the
    newest timestamp in it is taken, and snapshot.yaml says so (capturedAtInferred: true).
    """
    from tools.snapshot.importers import ImportFailed, import_input

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"--out {out}: already exists and is not an empty directory")
    try:
        report = import_input(path, out, name=name)
    except ImportFailed as exc:
        fail(str(exc))
    typer.echo(f"kubewhy: {report.detected_line(path)}", err=True)
    if output is DataOutput.json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    for skipped in report.skipped:
        typer.echo(f"skipped {skipped.file}: {skipped.reason}", err=True)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.kinds.items()))
    typer.echo(
        f"wrote {report.out}: {kinds}; {plural(report.logs, 'log')}; "
        f"{plural(len(report.skipped), 'file')} skipped"
    )
