"""Everything the bot posts goes through here: one answer in one thread, every string redacted.

The acknowledgement is posted at once and then edited (``chat.update``) with what is being read, at most
once per ``min_interval_s`` so Slack's rate limits are never approached; the last edit says how it
ended. The answer follows as one or more Block Kit messages, and the full evidence is attached as a file
(or, when Slack refuses the file, posted as code blocks, so nothing is lost).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from app.agent.events import BudgetHit, Fallback, Status, ToolStarted
from app.slack.blocks import SlackMessage, diagnosis_messages, evidence_document, evidence_messages
from app.slack.mrkdwn import inert
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.tool import ToolResult
from tools.kubernetes.redact import redact_text

log = logging.getLogger(__name__)

PROGRESS_LINES = 6
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def scrub(value: Any) -> Any:
    """Every string in a payload redacted once more, whatever built it (defence in depth)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    return value


def post(client: WebClient, channel: str, text: str, *, thread_ts: str | None = None, **extra: Any) -> str:
    """chat.postMessage with links, media and names never unfurled or parsed; returns the message ts."""
    payload = scrub({"text": text, **extra})
    response = client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        unfurl_links=False,
        unfurl_media=False,
        **payload,
    )
    return str(response["ts"])


class ThreadReply:
    """One answer in one thread: the acknowledgement that turns into progress, then the answer."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, min_interval_s: float = 1.0) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.min_interval_s = min_interval_s
        self.ack_ts: str | None = None
        self._headline = ""
        self._lines: list[str] = []
        self._last_edit = 0.0
        self._lock = threading.Lock()

    def say(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """Post safe mrkdwn in the thread; a Slack error is logged, never raised into the worker."""
        try:
            extra = {"blocks": blocks} if blocks else {}
            return post(self.client, self.channel, text, thread_ts=self.thread_ts, **extra)
        except SlackClientError as exc:
            log.error("posting in %s/%s failed: %s", self.channel, self.thread_ts, exc)
            return None

    def acknowledge(self, headline: str) -> None:
        self._headline = headline
        self.ack_ts = self.say(headline)
        self._last_edit = 0.0

    def progress(self, line: str) -> None:
        """A new line of what is being read; the acknowledgement shows the latest few."""
        with self._lock:
            self._lines = [*self._lines, line][-PROGRESS_LINES:]
            if time.monotonic() - self._last_edit < self.min_interval_s:
                return
            self._last_edit = time.monotonic()
            text = self._headline + "".join(f"\n• {inert(item)}" for item in self._lines)
        self._edit(text)

    def event(self, event: Any) -> None:
        """Agent events as progress lines (tool calls, status, budget stops, fallback)."""
        if isinstance(event, ToolStarted):
            self.progress(event.status)
        elif isinstance(event, Status):
            self.progress(event.text)
        elif isinstance(event, BudgetHit):
            self.progress(event.message)
        elif isinstance(event, Fallback):
            self.progress(
                f"the model's answer could not be used ({event.reason}); the built-in diagnostician answers"
            )

    def finish(self, text: str) -> None:
        """The acknowledgement's last edit: how it ended. Posted anew when the acknowledgement is missing."""
        if self.ack_ts is None or not self._edit(text):
            self.say(text)

    def _edit(self, text: str) -> bool:
        if self.ack_ts is None:
            return False
        try:
            self.client.chat_update(channel=self.channel, ts=self.ack_ts, **scrub({"text": text}))
            return True
        except SlackClientError as exc:
            log.warning("updating the progress message failed: %s", exc)
            return False

    def messages(self, messages: list[SlackMessage]) -> None:
        for message in messages:
            self.say(message.text, message.blocks)

    def deliver(self, diagnosis: Diagnosis, results: Mapping[str, ToolResult] | None = None) -> None:
        """The answer in Block Kit, then the full evidence as a file (or as text if the file is refused)."""
        count = len(results) if results else len(diagnosis.evidence)
        note = f"The full evidence ({count} tool results, redacted) follows in this thread."
        self.messages(diagnosis_messages(diagnosis, note))
        document = evidence_document(diagnosis, results)
        why = self.attach(document, diagnosis)
        if why is not None:
            self.say(f"I could not attach the evidence as a file ({inert(why)}); here it is as text.")
            self.messages(evidence_messages(document))

    def attach(self, document: str, diagnosis: Diagnosis) -> str | None:
        """Upload the evidence file in the thread; None on success, else Slack's reason."""
        try:
            self.client.files_upload_v2(
                channel=self.channel,
                thread_ts=self.thread_ts,
                content=redact_text(document),
                filename=f"kubewhy-evidence-{_SAFE_NAME.sub('-', diagnosis.cluster)}.txt",
                title=redact_text(f"Evidence: {diagnosis.question}"[:200]),
            )
            return None
        except SlackApiError as exc:
            return str(exc.response.get("error") or exc)
        except SlackClientError as exc:
            return str(exc)
