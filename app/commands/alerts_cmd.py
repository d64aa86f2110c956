"""`kubewhy alerts --port N`: receive Alertmanager webhooks, investigate each alert group, post the
diagnosis to a Slack thread and record it; runs until stopped."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from app.commands.common import EXIT_SOURCE_FAILED, ContextOption, SnapshotOption, fail

PortOption = Annotated[
    int, typer.Option("--port", "-p", help="Port to listen on (0 = any free port)", min=0, max=65535)
]


def alerts_command(
    port: PortOption = 9095,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (not loopback only with KUBEWHY_ALERTS_TOKEN)")
    ] = "127.0.0.1",
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    workers: Annotated[int, typer.Option("--workers", help="Investigations at the same time", min=1)] = 2,
) -> None:
    """Alertmanager webhooks on POST /alertmanager: each alert group investigated, answered in a Slack
    thread. Runs until stopped."""
    from app.alerts.handler import AlertsConfigError
    from app.alerts.service import alerts_server, create_handler, warm_up
    from tools.contracts.settings import Settings

    if snapshot is not None and not snapshot.exists():
        fail(f"--snapshot {snapshot}: no such file or directory")
    if snapshot is not None and context is not None:
        fail("--snapshot and --context: pass one of them")
    settings = Settings.load(snapshot=str(snapshot.resolve()) if snapshot else None, context=context)
    try:
        handler = create_handler(settings, host=host, workers=workers)
    except AlertsConfigError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"cannot start the alerts receiver: {type(exc).__name__}: {exc}", EXIT_SOURCE_FAILED)
    try:
        server = alerts_server(handler, host, port)
    except OSError as exc:
        handler.close(timeout=0)
        fail(f"--port {port}: cannot listen on {host}:{port}: {exc.strerror or exc}")
    warm_up(handler)
    signal.signal(signal.SIGTERM, _interrupt)
    bound_host, bound_port = server.server_address[:2]
    typer.echo(f"kubewhy alerts listening on http://{bound_host}:{bound_port}/alertmanager")
    typer.echo("Press Ctrl-C to stop.", err=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        typer.echo("stopping…", err=True)
    finally:
        server.server_close()
        handler.close(timeout=10.0)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
