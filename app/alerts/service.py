"""Build and serve the receiver: on its own (``kubewhy alerts``) or beside the Slack bot on the same port
(``kubewhy slack --mode http --alerts``), sharing the bot's Slack client and cluster sessions."""

from __future__ import annotations

import logging
import threading
from typing import Any

from app.alerts.handler import AlertHandler, check_settings
from app.alerts.receiver import ALERTS_PATH, AlertsReceiver, combined
from app.engine import ask
from app.slack.answer import AskFn
from app.slack.bot import SlackBot, api_client
from app.slack.bot import check_settings as check_slack_settings
from app.slack.clusters import ClusterPool
from app.slack.server import slack_app, wsgi_server
from tools.contracts.settings import Settings

log = logging.getLogger(__name__)


def create_handler(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    pool: ClusterPool | None = None,
    client: Any = None,
    ask_fn: AskFn = ask,
    workers: int = 2,
) -> AlertHandler:
    """The handler on the configured Slack and cluster; AlertsConfigError names a missing setting."""
    check_settings(settings, host)
    return AlertHandler(
        settings=settings,
        client=client or api_client(settings),
        pool=pool or ClusterPool(settings),
        ask_fn=ask_fn,
        workers=workers,
        owns_pool=pool is None,
    )


def warm_up(handler: AlertHandler) -> threading.Thread:
    """Open the cluster session now, in the background, so the first alert does not wait for it."""

    def open_it() -> None:
        try:
            handler.pool.session(handler.pool.default)
        except Exception as exc:  # the first investigation tries again and says why in its thread
            log.warning("opening the cluster for alerts failed (retried on the first alert): %s", exc)

    thread = threading.Thread(target=open_it, name="kubewhy-alerts-warm-up", daemon=True)
    thread.start()
    return thread


def alerts_server(handler: AlertHandler, host: str, port: int, bot: SlackBot | None = None) -> Any:
    """A server for ``POST /alertmanager`` (and, with ``bot``, ``POST /slack/events`` on the same port: then,
    as for the bot alone, never without a signing secret)."""
    if bot is not None:
        check_slack_settings(bot.settings, "http")
    receiver = AlertsReceiver(handler)
    app = combined(receiver, ALERTS_PATH, slack_app(bot)) if bot is not None else receiver
    return wsgi_server(app, host, port)
