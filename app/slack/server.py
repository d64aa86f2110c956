"""Run the bot: HTTP mode (Slack posts to ``POST /slack/events``) or Socket Mode (no public URL).

HTTP mode serves bolt's WSGI adapter from a small threaded server; bolt verifies each request's
signature and answers 401 to anything not signed with ``SLACK_SIGNING_SECRET``. Socket Mode opens a
WebSocket to Slack with ``SLACK_APP_TOKEN``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from app.slack.bot import SlackBot, check_settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class _ThreadedWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _LoggedRequests(WSGIRequestHandler):
    """Request lines go to the logger, not to stderr one per event."""

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


def wsgi_server(app: Callable[..., Any], host: str, port: int) -> WSGIServer:
    """A threaded server for a WSGI app bound to ``host:port`` (port 0: any free port); call
    ``serve_forever`` to run it."""
    return make_server(host, port, app, server_class=_ThreadedWSGIServer, handler_class=_LoggedRequests)


def slack_app(bot: SlackBot) -> Callable[..., Any]:
    """Bolt's WSGI adapter for ``POST /slack/events``."""
    return SlackRequestHandler(bot.app, path=EVENTS_PATH)


def http_server(bot: SlackBot, host: str, port: int) -> WSGIServer:
    """A server for ``POST /slack/events`` bound to ``host:port`` (port 0: any free port); call
    ``serve_forever`` to run it. Raises SlackConfigError for a bot without a signing secret: HTTP mode
    never runs unverified."""
    check_settings(bot.settings, "http")
    return wsgi_server(slack_app(bot), host, port)


def run_socket_mode(bot: SlackBot) -> None:
    """Connect to Slack over a WebSocket and answer until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    token = bot.settings.slack_app_token
    assert token is not None  # check_settings refused to start without it
    handler = SocketModeHandler(bot.app, token.get_secret_value())
    try:
        handler.start()
    finally:
        handler.close()
