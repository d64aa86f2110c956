"""`kubewhy slack --mode socket|http`: run the Slack bot until stopped.

The cluster a channel asks about comes from ``slack_channel_clusters`` in the settings; ``--snapshot`` /
``--context`` set the default for every other channel.
"""

from __future__ import annotations

import signal
from enum import StrEnum
from typing import Annotated, Any

import typer

from app.commands.common import EXIT_SOURCE_FAILED, ContextOption, SnapshotOption, fail


class SlackMode(StrEnum):
    socket = "socket"
    http = "http"


def slack_command(
    mode: Annotated[
        SlackMode, typer.Option("--mode", help="socket: Socket Mode, no public URL; http: POST /slack/events")
    ] = SlackMode.socket,
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", help="HTTP mode: port to listen on (0 = any free port)", min=0, max=65535
        ),
    ] = 3000,
    host: Annotated[str, typer.Option("--host", help="HTTP mode: address to listen on")] = "127.0.0.1",
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    workers: Annotated[int, typer.Option("--workers", help="Questions answered at the same time", min=1)] = 8,
    alerts: Annotated[
        bool,
        typer.Option("--alerts", help="HTTP mode: also receive Alertmanager webhooks on POST /alertmanager"),
    ] = False,
) -> None:
    """The Slack bot: answers mentions, direct messages and /kubewhy in threads. Runs until stopped."""
    from app.slack.bot import SlackConfigError, check_settings, create_bot
    from tools.contracts.settings import Settings

    if snapshot is not None and not snapshot.exists():
        fail(f"--snapshot {snapshot}: no such file or directory")
    if snapshot is not None and context is not None:
        fail("--snapshot and --context: pass one of them")
    settings = Settings.load(snapshot=str(snapshot.resolve()) if snapshot else None, context=context)
    if alerts and mode is not SlackMode.http:
        fail("--alerts needs --mode http: Alertmanager posts its webhooks over HTTP")
    from app.alerts.handler import AlertsConfigError
    from app.alerts.handler import check_settings as check_alerts

    try:
        check_settings(settings, mode.value)
        if alerts:
            check_alerts(settings, host)
        bot = create_bot(settings, workers=workers)
    except (SlackConfigError, AlertsConfigError) as exc:
        fail(str(exc))
    except Exception as exc:  # auth.test refused the token, or Slack is unreachable
        fail(f"cannot start the Slack bot: {type(exc).__name__}: {exc}", EXIT_SOURCE_FAILED)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if mode is SlackMode.http:
            _serve_http(bot, host, port, alerts)
        else:
            typer.echo("kubewhy Slack bot connecting in Socket Mode. Press Ctrl-C to stop.", err=True)
            from app.slack.server import run_socket_mode

            run_socket_mode(bot)
    except KeyboardInterrupt:
        typer.echo("stopping…", err=True)
    finally:
        bot.close(timeout=10.0)


def _serve_http(bot: Any, host: str, port: int, alerts: bool = False) -> None:
    from app.slack.server import EVENTS_PATH, http_server

    handler = None
    try:
        if alerts:
            from app.alerts.service import alerts_server, create_handler, warm_up

            handler = create_handler(bot.settings, host=host, pool=bot.pool, client=bot.app.client)
            server = alerts_server(handler, host, port, bot)
        else:
            server = http_server(bot, host, port)
    except OSError as exc:
        fail(f"--port {port}: cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound_host, bound_port = server.server_address[:2]
    typer.echo(f"kubewhy Slack bot listening on http://{bound_host}:{bound_port}{EVENTS_PATH}")
    if handler is not None:
        warm_up(handler)
        typer.echo(f"kubewhy alerts listening on http://{bound_host}:{bound_port}/alertmanager")
    typer.echo("Press Ctrl-C to stop.", err=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if handler is not None:
            handler.close(timeout=10.0)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
