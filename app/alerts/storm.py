"""An alert storm: more alert groups than ``alerts_per_minute`` investigations. The budget is counted in
the claims table (one key per slot per minute), so it holds over all replicas; groups beyond it are listed,
a batch at a time, in one storm thread per channel per ten minutes instead of opening a thread each."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from app.alerts.mapping import AlertQuestion
from app.alerts.payload import Notification
from app.slack.mrkdwn import inert, inline_code
from app.slack.reply import post
from app.store import StoreError
from app.store.claims import claim, claim_key
from app.store.shared_state import GroupThread, count_notification, get_group, open_group
from tools.contracts.settings import Settings
from tools.contracts.wording import plural, verb

log = logging.getLogger(__name__)

STORM_WINDOW_S = 600.0
FLUSH_EVERY_S = 2.0
LINES_PER_MESSAGE = 40
WAIT_FOR_ROOT_S = 20.0


def overall_budget(settings: Settings, clock: Callable[[], float] = time.time) -> Callable[[], bool]:
    """A function that takes one investigation from this minute's budget (True) or says it is spent."""
    spent_minute = [-1]
    lock = threading.Lock()

    def take() -> bool:
        limit = settings.alerts_per_minute
        if limit <= 0:
            return True
        minute = int(clock() // 60)
        with lock:
            if spent_minute[0] == minute:
                return False
        for slot in range(limit):
            if claim(settings.database_url, claim_key("alert-budget", str(minute), str(slot)), 120.0):
                return True
        with lock:
            spent_minute[0] = minute
        return False

    return take


@dataclass
class _Entry:
    channel: str
    line: str


class StormDigest:
    """Collects the groups not investigated one by one and posts them to the storm thread in batches."""

    def __init__(self, settings: Settings, client: WebClient) -> None:
        self.settings = settings
        self.client = client
        self._pending: list[_Entry] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add(self, channel: str, notification: Notification, question: AlertQuestion) -> None:
        names = ", ".join(inline_code(name) for name in notification.names[:3])
        line = f"• {names} · {len(notification.firing)} firing · {inert(question.scope)}"
        with self._lock:
            self._pending.append(_Entry(channel, line))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kubewhy-alert-storm", daemon=True)
                self._thread.start()

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(FLUSH_EVERY_S)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        by_channel: dict[str, list[str]] = {}
        for entry in pending:
            by_channel.setdefault(entry.channel, []).append(entry.line)
        for channel, lines in by_channel.items():
            try:
                self._post(channel, lines)
            except (SlackClientError, StoreError) as exc:
                log.error("posting %d storm entries to %s failed: %s", len(lines), channel, exc)

    def _post(self, channel: str, lines: list[str]) -> None:
        window = int(time.time() // STORM_WINDOW_S)
        key = f"storm:{channel}:{window}"
        thread = self._root(channel, key)
        if thread is None:
            return
        for start in range(0, len(lines), LINES_PER_MESSAGE):
            batch = lines[start : start + LINES_PER_MESSAGE]
            post(self.client, channel, "\n".join(batch), thread_ts=thread.thread_ts)
        total = count_notification(self.settings.database_url, key, len(lines))
        text = self._root_text(total)
        self.client.chat_update(channel=channel, ts=thread.thread_ts, text=text)

    def _root(self, channel: str, key: str) -> GroupThread | None:
        url = self.settings.database_url
        existing = get_group(url, key)
        if existing is not None:
            return existing
        if claim(url, claim_key("alert-storm", key), STORM_WINDOW_S * 2):
            ts = post(self.client, channel, self._root_text(0))
            return open_group(url, GroupThread(key, channel, ts, "firing", [], None, 0))
        deadline = time.monotonic() + WAIT_FOR_ROOT_S
        while time.monotonic() < deadline:
            existing = get_group(url, key)
            if existing is not None:
                return existing
            time.sleep(0.2)
        return None

    def _root_text(self, total: int) -> str:
        return (
            f":cyclone: *Alert storm*: more than {self.settings.alerts_per_minute} alert groups a minute. "
            f"{plural(total, 'group')} beyond that {verb(total, 'is', 'are')} listed in this thread instead "
            f"of one thread each; {verb(total, 'it was', 'they were')} not investigated one by one. "
            "Ask me about any of them here."
        )
