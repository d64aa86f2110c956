"""Signed requests as Slack sends them: Events API JSON and slash-command forms."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from devkit.mock_slack import BOT_USER

SECRET = "test-signing-secret-5f3a"
TEAM = "T0TEAM"
_ids = itertools.count(1)


def signed_headers(body: str, secret: str = SECRET, content_type: str = "application/json") -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }


def event_body(event: dict) -> str:
    return json.dumps(
        {
            "token": "legacy-unused",
            "team_id": TEAM,
            "api_app_id": "A0KUBEWHY",
            "type": "event_callback",
            "event_id": f"Ev{next(_ids):06d}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
    )


def next_ts() -> str:
    return f"{1600000000 + next(_ids)}.000200"


def mention(channel: str, user: str, text: str, thread_ts: str | None = None) -> tuple[str, str]:
    """A signed app_mention body and the message's ts."""
    ts = next_ts()
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_body(event), ts


def direct_message(channel: str, user: str, text: str, thread_ts: str | None = None) -> tuple[str, str]:
    ts = next_ts()
    event = {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_body(event), ts


def slash(channel: str, user: str, text: str, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy-unused",
            "team_id": TEAM,
            "channel_id": channel,
            "channel_name": "sre",
            "user_id": user,
            "user_name": "someone",
            "command": "/kubewhy",
            "text": text,
            "response_url": response_url,
            "trigger_id": f"trig{next(_ids)}",
            "api_app_id": "A0KUBEWHY",
        }
    )


def bolt_request(body: str, *, secret: str = SECRET, form: bool = False) -> BoltRequest:
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    return BoltRequest(body=body, headers=signed_headers(body, secret, content_type))
