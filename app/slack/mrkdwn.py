"""Text in and out of Slack's mrkdwn: cluster text made inert, user text made plain.

Slack reads ``<...>`` as links and mentions (``<!channel>``, ``<http://x|click>``) and ``&`` as the start
of an entity, so every untrusted string (log lines, event messages, object names, model text) is
redacted and then escaped (:mod:`tools.inert`, the rule every surface shares) before it is placed in a
message. Text that contains credentials is masked
first, so an escape can never split a secret past the redaction rules.
"""

from __future__ import annotations

import html
import re

from tools.inert import mrkdwn, mrkdwn_code
from tools.kubernetes.redact import redact_text

FENCE = "```"
_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>|<([^<>]+)>")
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,30}$")


def inert(text: str) -> str:
    """Untrusted text ready for a mrkdwn field: credentials masked, then made inert (:mod:`tools.inert`)."""
    return mrkdwn(redact_text(text or ""))


def inert_code(text: str) -> str:
    """Untrusted text ready for inside a code block: credentials masked, no fence that could end it."""
    return mrkdwn_code(redact_text(text or "")).replace(FENCE, "'''")


def code(text: str) -> str:
    """Untrusted text as a code block; a fence inside the text could otherwise end the block early."""
    body = inert_code(text)
    return f"{FENCE}\n{body}\n{FENCE}" if body else f"{FENCE} {FENCE}"


def inline_code(text: str) -> str:
    body = inert(text).replace("\n", " ")
    return f"`{body}`" if body else ""


def mention(user: str) -> str:
    """A mention of a Slack user id; anything that is not an id is shown inert instead."""
    return f"<@{user}>" if _SLACK_ID.match(user or "") else inert(user or "there")


def plain_question(text: str) -> str:
    """What a person typed, as plain words: mentions of the bot dropped, links reduced to their text,
    Slack's entities decoded (the engine reads the words, not the markup)."""
    text = _MENTION.sub(" ", text or "")
    text = _LINK.sub(lambda m: m.group(2) or m.group(1) or m.group(3), text)
    return " ".join(html.unescape(text).split())


def link(url: str, label: str) -> str:
    """A mrkdwn link to an http(s) ``url`` under a safe ``label``; any other URL is shown as inert text."""
    target = redact_text(url or "").strip()
    if not re.match(r"^https?://[^\s<>|]+$", target):
        return inert(label)
    return f"<{target.replace('&', '&amp;')}|{inert(label).replace('|', '/')}>"
