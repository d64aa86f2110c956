"""The streamable HTTP transport (the SDK's session manager under uvicorn) and what makes it safe:

- a bearer token (``KUBEWHY_MCP_TOKEN``) on every request when one is set; without one the server only
  listens on loopback;
- the SDK's DNS-rebinding protection always on: the ``Host`` and ``Origin`` headers must name this server
  (loopback, the bound address, or ``KUBEWHY_MCP_ALLOWED_HOSTS``), so a web page cannot drive it;
- at most ``KUBEWHY_MCP_MAX_SESSIONS`` client sessions at once (the SDK answers 503 to one more), each
  ended after 30 idle minutes; request bodies bounded by the SDK (4 MiB).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable

import uvicorn
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.mcp.server import KubewhyServer
from tools.contracts.settings import Settings

PATH = "/mcp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class UnsafeBind(ValueError):
    """The server would listen beyond loopback with nobody required to authenticate."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings, host: str) -> None:
    if settings.mcp_token is None and not is_loopback(host):
        raise UnsafeBind(
            f"--host {host}: without KUBEWHY_MCP_TOKEN the MCP server listens on 127.0.0.1 only; "
            "set a token to listen on another address"
        )


def security_settings(settings: Settings, host: str, port: int) -> TransportSecuritySettings:
    """Host and Origin values a request may carry: this server's names, with the port."""
    own = list(LOOPBACK_NAMES)
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        own.append(f"[{host}]" if ":" in host else host)
    hosts = [f"{name}:{port}" for name in own] + list(settings.mcp_allowed_hosts)  # these as given
    origins = [f"{scheme}://{value}" for value in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class RequireBearer:
    """Refuse every HTTP request that does not carry ``Authorization: Bearer <token>`` (compared in
    constant time)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                reason = "a wrong bearer token" if given else "no bearer token"
                response = JSONResponse(
                    {"error": f"unauthorized: {reason}; send Authorization: Bearer $KUBEWHY_MCP_TOKEN"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="kubewhy"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Endpoint:
    """The session manager as a plain ASGI app (Starlette routes one to every method)."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.manager.handle_request(scope, receive, send)


def build_app(kubewhy: KubewhyServer, settings: Settings, host: str, port: int) -> ASGIApp:
    manager = StreamableHTTPSessionManager(
        app=kubewhy.server,
        security_settings=security_settings(settings, host, port),
        max_sessions=settings.mcp_max_sessions,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    app: ASGIApp = Starlette(routes=[Route(PATH, endpoint=_Endpoint(manager))], lifespan=lifespan)
    if settings.mcp_token is not None:
        app = RequireBearer(app, settings.mcp_token.get_secret_value())
    return app


def listen(host: str, port: int) -> socket.socket:
    """Bind first, so port 0 gives a known port before the Host check is configured. The protocol is
    named: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP, and without that
    every small answer waits ~40 ms for a delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def serve_http(
    kubewhy: KubewhyServer, settings: Settings, sock: socket.socket, on_ready: Callable[[str], None]
) -> None:
    """Serve until interrupted (SIGINT/SIGTERM end it gracefully)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    app = build_app(kubewhy, settings, host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    on_ready(f"http://{shown}:{port}{PATH}")
    server.run(sockets=[sock])
