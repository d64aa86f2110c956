"""`kubewhy snapshot serve DIR`: serve a snapshot as a read-only Kubernetes API until Ctrl-C."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import EXIT_BAD_INPUT


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _default_kubeconfig(name: str, port: int) -> Path:
    return Path(tempfile.gettempdir()) / f"kubewhy-{name}-{port}.kubeconfig"


def snapshot_serve(
    path: Annotated[Path, typer.Argument(help="Snapshot directory or .tar.gz")],
    port: Annotated[int, typer.Option("--port", "-p", help="Port on 127.0.0.1 (0 = any free port)")] = 0,
    kubeconfig: Annotated[
        Path | None,
        typer.Option("--kubeconfig", help="Where to write the kubeconfig (default: a file in the temp dir)"),
    ] = None,
) -> None:
    """Serve a snapshot as a read-only Kubernetes API on 127.0.0.1 and write a kubeconfig for it."""
    from tools.snapshot.kubeconfig import context_name, write_kubeconfig
    from tools.snapshot.loader import SnapshotError
    from tools.snapshot.server import start_snapshot_server

    try:
        server = start_snapshot_server(path, port=port, kubeconfig_path=kubeconfig, record_requests=False)
    except SnapshotError as exc:
        typer.echo(f"kubewhy: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as exc:
        typer.echo(f"kubewhy: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if kubeconfig is None:  # keep the kubeconfig after exit so a second shell can keep using it
        kubeconfig = _default_kubeconfig(context_name(server.snapshot.meta.name), server.port)
        write_kubeconfig(kubeconfig, server.url, server.snapshot.meta.name)
    for problem in server.snapshot.problems:
        typer.echo(f"warning: {problem}", err=True)
    meta = server.snapshot.meta
    typer.echo(
        f"Serving snapshot {meta.name!r} (captured {meta.captured_at:%Y-%m-%dT%H:%M:%SZ}, "
        f"{server.store.object_count} objects, loaded in {server.load_seconds:.2f}s) at {server.url}",
        err=True,
    )
    typer.echo(f"Kubeconfig: {kubeconfig}", err=True)
    typer.echo(f"Try: kubectl --kubeconfig {kubeconfig} get pods -A", err=True)
    typer.echo("Read-only: every write is refused. Press Ctrl-C to stop.", err=True)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as cleanly as Ctrl-C
    try:
        server.wait()
    except KeyboardInterrupt:
        typer.echo("stopping", err=True)
    finally:
        server.stop()
