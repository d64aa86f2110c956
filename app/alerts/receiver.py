"""``POST /alertmanager``: a WSGI app that checks who sends (bearer token or basic-auth password), how much
(a body size limit, read no further than it), and what (an Alertmanager version 4 payload), then hands the
notification to the :class:`~app.alerts.handler.AlertHandler` and answers at once. Every refusal is one
JSON line naming what is wrong, so Alertmanager's log shows it."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from app.alerts.handler import AlertHandler
from app.alerts.payload import BadPayload, parse_notification
from app.store import StoreError

log = logging.getLogger(__name__)

ALERTS_PATH = "/alertmanager"
DRAIN_BYTES = 64 * 1024 * 1024  # read and dropped at most, to answer an oversized body cleanly
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reply(
    start_response: StartResponse, status: str, doc: dict[str, Any], *extra: tuple[str, str]
) -> list[bytes]:
    body = json.dumps(doc).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers)
    return [body]


def presented_secret(authorization: str) -> str | None:
    """The bearer token, or the basic-auth password, in an Authorization header (None when neither)."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class AlertsReceiver:
    """The WSGI app for ``POST /alertmanager`` (anything else: 404 or 405)."""

    def __init__(self, handler: AlertHandler) -> None:
        self.handler = handler
        token = handler.settings.alerts_token
        self._token = token.get_secret_value().encode() if token and token.get_secret_value() else None
        self.max_body = handler.settings.alerts_max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != ALERTS_PATH:
            return _reply(start_response, "404 Not Found", {"error": f"not found; POST to {ALERTS_PATH}"})
        if environ.get("REQUEST_METHOD") != "POST":
            return _reply(start_response, "405 Method Not Allowed", {"error": "use POST"}, ("Allow", "POST"))
        if self._token is not None and not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return _reply(
                start_response,
                "401 Unauthorized",
                {
                    "error": "missing or wrong credentials: send KUBEWHY_ALERTS_TOKEN as a bearer token "
                    "or as the basic-auth password (Alertmanager http_config)"
                },
                ("WWW-Authenticate", 'Bearer realm="kubewhy alerts"'),
            )
        body, problem = self._read(environ)
        if problem is not None:
            status = "411 Length Required" if "Content-Length" in problem else "413 Content Too Large"
            return _reply(start_response, status, {"error": problem})
        try:
            notification = parse_notification(body)
        except BadPayload as exc:
            return _reply(start_response, "400 Bad Request", {"error": str(exc)})
        try:
            outcome = self.handler.accept(notification)
        except StoreError as exc:  # Alertmanager retries a 5xx: nothing is lost
            log.error("alert group %s not accepted: %s", notification.groupKey, exc)
            return _reply(start_response, "503 Service Unavailable", {"error": str(exc)})
        log.info("alert group %s: %s", notification.groupKey, outcome.action)
        return _reply(start_response, "200 OK", {"status": outcome.action, "detail": outcome.detail})

    def _authorized(self, header: str) -> bool:
        secret = presented_secret(header)
        return (
            secret is not None
            and self._token is not None
            and hmac.compare_digest(secret.encode(), self._token)
        )

    def _read(self, environ: dict[str, Any]) -> tuple[bytes, str | None]:
        """The body, never more than the limit kept in memory. A body without Content-Length is refused
        (Alertmanager always sends one); an oversized one is drained in small pieces, up to a bound, so
        the sender reads the refusal instead of a reset connection."""
        limit = self.max_body
        try:
            declared = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            declared = -1
        if declared < 0:
            return b"", "the request has no Content-Length; send the JSON body with its length"
        stream = environ["wsgi.input"]
        if declared > limit:
            left = min(declared, DRAIN_BYTES)
            while left > 0:
                piece = stream.read(min(left, 65536))
                if not piece:
                    break
                left -= len(piece)
            return (
                b"",
                f"the body is {declared:,} bytes, over the limit of {limit:,} "
                "(KUBEWHY_ALERTS_MAX_BODY_BYTES)",
            )
        return stream.read(declared), None


def combined(first: WSGIApp, path: str, other: WSGIApp) -> WSGIApp:
    """One WSGI app: requests for ``path`` go to ``first``, the rest to ``other`` (the Slack bot)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = first if environ.get("PATH_INFO", "") == path else other
        return target(environ, start_response)

    return app
