"""`kubewhy mcp --transport stdio|http`: the read-only tools, the diagnostician and the runbooks as a
Model Context Protocol server over one session, until stopped (stdio: until the client closes stdin)."""

from __future__ import annotations

import signal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from app.commands.common import ContextOption, KubeconfigOption, SnapshotOption, cli_session, fail
from tools.contracts.settings import Settings

if TYPE_CHECKING:
    from app.mcp.server import KubewhyServer


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def mcp_command(
    transport: Annotated[
        Transport,
        typer.Option("--transport", "-t", help="stdio: the client starts kubewhy; http: streamable HTTP"),
    ] = Transport.stdio,
    port: Annotated[
        int,
        typer.Option("--port", "-p", help="HTTP: port to listen on (0 = any free port)", min=0, max=65535),
    ] = 8808,
    host: Annotated[
        str, typer.Option("--host", help="HTTP: address to listen on (beyond loopback only with a token)")
    ] = "127.0.0.1",
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
) -> None:
    """Serve kubewhy over the Model Context Protocol; runs until stopped."""
    from app.mcp.http import UnsafeBind, check_bind, listen, serve_http
    from app.mcp.server import KubewhyServer

    settings = Settings.load()
    sock = None
    if transport is Transport.http:
        try:  # refuse an unsafe or busy address before connecting to anything
            check_bind(settings, host)
            sock = listen(host, port)
        except UnsafeBind as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"--port {port}: cannot listen on {host}:{port}: {exc.strerror or exc}")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with cli_session(settings, snapshot, context, kubeconfig) as session:
            server = KubewhyServer(session)
            typer.echo(
                f"… kubewhy MCP server on {session.cluster}: {len(server.catalog.tools)} tools", err=True
            )
            if sock is not None:
                serve_http(server, settings, sock, on_ready=_announce)
            else:
                _serve_stdio(server)
    except KeyboardInterrupt:
        typer.echo("… stopping", err=True)
    finally:
        if sock is not None:
            sock.close()


def _serve_stdio(server: KubewhyServer) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.server.run(read, write, server.server.create_initialization_options())

    anyio.run(run)


def _announce(url: str) -> None:
    typer.echo(f"kubewhy MCP server listening on {url}")
    typer.echo("Press Ctrl-C to stop.", err=True)


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt
